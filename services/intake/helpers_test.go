package intake

import (
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/payerkey"
	"github.com/paycore/paycore/services/processor"
)

// Fixtures shared by the table, stability and fuzz tests.

const (
	testChannel  = "alipay"
	testOrder    = "ord-20250301-0001"
	testKey      = "key-0001"
	testAccount  = "6222020200001234"
	testReserve  = "RSV-ALIPAY-001"
	requestTopic = "paycore.requests"
)

var testTime = time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)

func testDeriver(t testing.TB) payerkey.Deriver {
	t.Helper()
	d, err := payerkey.NewDeriver("test-secret")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func testConfig(t testing.TB) Config {
	return Config{
		Topics: Topics{
			SagaInbox:  "paycore.saga.inbox",
			PayerInbox: "paycore.payer.inbox",
			Outcomes:   "paycore.outcomes",
			Rejects:    "paycore.rejects",
		},
		Deriver:         testDeriver(t),
		ReserveAccounts: map[string]string{testChannel: testReserve},
	}
}

func testHandler(t testing.TB) *Handler {
	t.Helper()
	h, err := newHandler(testConfig(t), events.Catalog())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// testAgreementNo is an agreement number as the payer bank issues it for
// testAccount.
func testAgreementNo(t testing.TB) string {
	return payerkey.AgreementNo(testDeriver(t).Key(testAccount), events.DeriveID("signing", testChannel, "sign-key"))
}

const testSigningID = "0b3c0a34-6a4e-8d0e-9a0c-2f1d5e7a9b11"

// request renders a v1 request envelope around body.
func request(typ, body string) string {
	return `{"type":"` + typ + `","version":1,"channel_id":"` + testChannel + `","order_id":"` + testOrder +
		`","idempotency_key":"` + testKey + `","body":` + body + `}`
}

func payRequest(t testing.TB) string {
	return request(events.RequestPay, `{"agreement_no":"`+testAgreementNo(t)+`","amount":{"amount":"12.30","currency":"CNY"}}`)
}

func signRequest() string {
	return request(events.RequestSignAgreement, `{"payer_account":"`+testAccount+`","holder_name":"张三","id_number":"11010519491231002X",`+
		`"phone":"13800138000","per_payment_limit":{"amount":"500","currency":"CNY"},"daily_limit":{"amount":"2000.00","currency":"CNY"}}`)
}

func confirmRequest() string {
	return request(events.RequestConfirmSigning, `{"signing_id":"`+testSigningID+`","sms_code":"123456"}`)
}

// testTxnID is the transaction_id a refund names.
var testTxnID = events.DeriveID("txn", testChannel, "the-original-payment")

func refundRequest() string {
	return request(events.RequestRefund, `{"txn_id":"`+testTxnID+`","amount":{"amount":"2.30","currency":"CNY"}}`)
}

func terminateRequest(t testing.TB) string {
	return request(events.RequestTerminateAgreement, `{"agreement_no":"`+testAgreementNo(t)+`"}`)
}

// message wraps a record value as the runtime hands it over.
func message(value []byte) processor.Message {
	return processor.Message{
		Topic:     requestTopic,
		Partition: 3,
		Offset:    42,
		Key:       []byte("record-key"),
		Value:     value,
		Time:      testTime,
	}
}

// replace returns s with old replaced by new once, failing the test if old
// does not occur: a fixture that silently stays valid tests nothing.
func replace(t testing.TB, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("fixture %q does not contain %q", s, old)
	}
	return strings.Replace(s, old, new, 1)
}

// nested returns a JSON value nested depth levels deep.
func nested(depth int) string {
	return strings.Repeat(`{"a":`, depth-1) + `{}` + strings.Repeat(`}`, depth-1)
}
