package intake

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestValidRequests checks that each request type becomes exactly the
// command it should, byte for byte: topic, key, envelope IDs and payload.
func TestValidRequests(t *testing.T) {
	reg := events.Catalog()
	deriver := testDeriver(t)
	agreementNo := testAgreementNo(t)
	payerKey := deriver.Key(testAccount)
	txnID := events.DeriveID("txn", testChannel, testKey)
	signingID := events.DeriveID("signing", testChannel, testKey)
	requestID := events.DeriveID("terminate", testChannel, testKey)

	// The canonical bodies, written out: they pin the body hash.
	payHash := sha256Hex(`{"agreement_no":"` + agreementNo + `","amount":{"amount":"12.30","currency":"CNY"}}`)
	signHash := sha256Hex(`{"payer_account":"` + testAccount + `","holder_name":"张三","id_number":"11010519491231002X",` +
		`"phone":"13800138000","per_payment_limit":{"amount":"500.00","currency":"CNY"},"daily_limit":{"amount":"2000.00","currency":"CNY"}}`)
	confirmHash := sha256Hex(`{"signing_id":"` + testSigningID + `","sms_code":"123456"}`)
	terminateHash := sha256Hex(`{"agreement_no":"` + agreementNo + `"}`)
	refundHash := sha256Hex(`{"txn_id":"` + testTxnID + `","amount":{"amount":"2.30","currency":"CNY"}}`)
	refundID := events.DeriveID("refund", testChannel, testKey)

	tests := []struct {
		name      string
		value     string
		topic     string
		key       string
		corr      string
		bodyHash  string
		payload   events.Payload
		requestTy string
	}{
		{
			name: "pay", value: payRequest(t), requestTy: events.RequestPay,
			topic: "paycore.saga.inbox", key: txnID, corr: txnID, bodyHash: payHash,
			payload: events.StartPayment{
				TxnID: txnID, ChannelID: testChannel, OrderID: testOrder, IdempotencyKey: testKey, BodyHash: payHash,
				AgreementNo: agreementNo, PayerKey: payerKey, ReserveAccount: testReserve, Amount: events.CNY("12.30"),
			},
		},
		{
			name: "sign_agreement", value: signRequest(), requestTy: events.RequestSignAgreement,
			topic: "paycore.saga.inbox", key: signingID, corr: signingID, bodyHash: signHash,
			payload: events.StartSigning{
				SigningID: signingID, ChannelID: testChannel, OrderID: testOrder, IdempotencyKey: testKey, BodyHash: signHash,
				PayerKey: payerKey, PayerAccount: testAccount, HolderName: "张三", IDNumber: "11010519491231002X", Phone: "13800138000",
				PerPaymentLimit: events.CNY("500"), DailyLimit: events.CNY("2000"),
			},
		},
		{
			name: "confirm_signing", value: confirmRequest(), requestTy: events.RequestConfirmSigning,
			topic: "paycore.saga.inbox", key: testSigningID, corr: testSigningID, bodyHash: confirmHash,
			payload: events.SubmitSMSCode{
				SigningID: testSigningID, ChannelID: testChannel, OrderID: testOrder, IdempotencyKey: testKey,
				BodyHash: confirmHash, SMSCode: "123456",
			},
		},
		{
			// Keyed by the original payment, so it reaches its partition.
			name: "refund", value: refundRequest(), requestTy: events.RequestRefund,
			topic: "paycore.saga.inbox", key: testTxnID, corr: refundID, bodyHash: refundHash,
			payload: events.StartRefund{
				RefundID: refundID, TxnID: testTxnID, ChannelID: testChannel, OrderID: testOrder, IdempotencyKey: testKey,
				BodyHash: refundHash, Amount: events.CNY("2.30"),
			},
		},
		{
			name: "terminate_agreement", value: terminateRequest(t), requestTy: events.RequestTerminateAgreement,
			topic: "paycore.payer.inbox", key: payerKey, corr: requestID, bodyHash: terminateHash,
			payload: events.TerminateAgreement{
				RequestID: requestID, AgreementNo: agreementNo, PayerKey: payerKey, ChannelID: testChannel,
				OrderID: testOrder, IdempotencyKey: testKey, BodyHash: terminateHash,
			},
		},
	}
	h := testHandler(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := reg.New(tt.key, 1, tt.payload, events.Meta{
				ID:            events.DeriveID("intake", tt.requestTy, testChannel, testKey, testOrder, tt.bodyHash),
				CorrelationID: tt.corr,
				CausationID:   tt.corr,
				OccurredAt:    testTime,
			})
			if err != nil {
				t.Fatal(err)
			}
			wantOut := processor.EnvelopeTo(tt.topic, want)

			out, err := h.Handle(message([]byte(tt.value)))
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Events) != 0 || len(out.Messages) != 1 {
				t.Fatalf("want exactly one command, got %d events and %d messages: %+v", len(out.Events), len(out.Messages), out)
			}
			got := out.Messages[0]
			if got.Topic != wantOut.Topic || got.Key != wantOut.Key || string(got.Value) != string(wantOut.Value) || !got.NotBefore.IsZero() {
				t.Fatalf("command\n got %s %s %s\nwant %s %s %s", got.Topic, got.Key, got.Value, wantOut.Topic, wantOut.Key, wantOut.Value)
			}
			// And the receiver can read it back.
			env, err := events.Unmarshal(got.Value)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := reg.Decode(env); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// commandOf handles value and returns the single command envelope.
func commandOf(t *testing.T, h *Handler, msg processor.Message) events.Envelope {
	t.Helper()
	out, err := h.Handle(msg)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("want one command, got %d messages: %s", len(out.Messages), out.Messages[0].Value)
	}
	env, err := events.Unmarshal(out.Messages[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func startPaymentOf(t *testing.T, env events.Envelope) events.StartPayment {
	t.Helper()
	p, err := events.Catalog().Decode(env)
	if err != nil {
		t.Fatal(err)
	}
	return p.(events.StartPayment)
}

// TestCommandIdentity checks which differences between two pay requests
// change which identifiers.
func TestCommandIdentity(t *testing.T) {
	h := testHandler(t)
	pay := payRequest(t)
	agreementNo := testAgreementNo(t)
	original := commandOf(t, h, message([]byte(pay)))
	originalPay := startPaymentOf(t, original)

	republished := message([]byte(pay))
	republished.Partition, republished.Offset, republished.Time = 7, 9000, testTime.Add(time.Hour)

	reordered := `
	{ "body" : { "amount" : { "currency" : "CNY", "amount" : "12.3" },
	             "agreement_no" : "` + agreementNo + `" },
	  "idempotency_key" : "` + testKey + `", "order_id" : "` + testOrder + `",
	  "channel_id" : "` + testChannel + `", "version" : 1, "type" : "pay" }`

	tests := []struct {
		name                   string
		msg                    processor.Message
		sameID, sameTxn, sameH bool
	}{
		{name: "republished later elsewhere", msg: republished, sameID: true, sameTxn: true, sameH: true},
		{name: "whitespace, member order, 12.3 for 12.30", msg: message([]byte(reordered)), sameID: true, sameTxn: true, sameH: true},
		{name: "same key, other amount", msg: message([]byte(replace(t, pay, `"12.30"`, `"12.31"`))), sameTxn: true},
		{name: "same key, other order ID", msg: message([]byte(replace(t, pay, testOrder, "ord-2"))), sameTxn: true, sameH: true},
		{name: "other key", msg: message([]byte(replace(t, pay, testKey, "key-2"))), sameH: true},
		{name: "other channel, same key", msg: message([]byte(replace(t, pay, `"channel_id":"alipay"`, `"channel_id":"tenpay"`))), sameH: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := commandOf(t, h, tt.msg)
			p := startPaymentOf(t, env)
			if (env.ID == original.ID) != tt.sameID {
				t.Errorf("envelope ID same = %v, want %v", env.ID == original.ID, tt.sameID)
			}
			if (p.TxnID == originalPay.TxnID) != tt.sameTxn {
				t.Errorf("TxnID same = %v, want %v", p.TxnID == originalPay.TxnID, tt.sameTxn)
			}
			if (p.BodyHash == originalPay.BodyHash) != tt.sameH {
				t.Errorf("BodyHash same = %v, want %v", p.BodyHash == originalPay.BodyHash, tt.sameH)
			}
			if env.AggregateID != p.TxnID || env.CorrelationID != p.TxnID || env.CausationID != p.TxnID || env.Sequence != 1 {
				t.Errorf("envelope header %+v", env)
			}
		})
	}
}

func TestReserveAccount(t *testing.T) {
	h := testHandler(t)
	pay := replace(t, payRequest(t), `"channel_id":"alipay"`, `"channel_id":"tenpay"`)
	if got := startPaymentOf(t, commandOf(t, h, message([]byte(pay)))).ReserveAccount; got != "RSV-tenpay" {
		t.Fatalf("unlisted channel credited to %q, want RSV-tenpay", got)
	}
	if got := startPaymentOf(t, commandOf(t, h, message([]byte(payRequest(t))))).ReserveAccount; got != testReserve {
		t.Fatalf("listed channel credited to %q, want %s", got, testReserve)
	}
}

// TestRequestWithinLimits checks the limits do not refuse what they should
// let through: a request just at the size limit, nested just at the depth
// limit, and brackets inside strings that are not nesting.
func TestRequestWithinLimits(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxDepth = minDepth
	h, err := newHandler(cfg, events.Catalog())
	if err != nil {
		t.Fatal(err)
	}
	pay := payRequest(t)
	// The key decodes to [[[[{{{{"\ : an escaped quote must not end the string.
	brackets := replace(t, pay, testKey, `[[[[{{{{\"\\`)
	for name, value := range map[string]string{"at the depth limit": pay, "brackets inside strings": brackets} {
		t.Run(name, func(t *testing.T) {
			commandOf(t, h, message([]byte(value)))
		})
	}

	cfg = testConfig(t)
	cfg.MaxValueBytes = len(pay)
	if h, err = newHandler(cfg, events.Catalog()); err != nil {
		t.Fatal(err)
	}
	commandOf(t, h, message([]byte(pay)))
	out, err := h.Handle(message([]byte(pay + " ")))
	if err != nil || len(out.Messages) != 2 {
		t.Fatalf("one byte over the limit: %v, %d messages", err, len(out.Messages))
	}
}

func TestHandleWithoutTimestampIsAnError(t *testing.T) {
	msg := message([]byte(payRequest(t)))
	msg.Time = time.Time{}
	if _, err := testHandler(t).Handle(msg); err == nil {
		t.Fatal("no error for a record without timestamp")
	}
}

func TestAgreementNoPatternMatchesPayerkey(t *testing.T) {
	no := testAgreementNo(t)
	if !strings.HasPrefix(no, "NU") || len(no) != 30 {
		t.Fatalf("payerkey changed its agreement number format: %s", no)
	}
	if !regexpMatch(AgreementNoPattern, no) {
		t.Fatalf("AgreementNoPattern %s does not match issued number %s", AgreementNoPattern, no)
	}
	for _, bad := range []string{no[:29], no + "A", strings.ToLower(no), "NX" + no[2:], no[:29] + "1"} {
		_, rej := payerKeyOf(bad)
		if regexpMatch(AgreementNoPattern, bad) != (rej == nil) {
			t.Errorf("%s: pattern and payerkey.FromAgreementNo disagree", bad)
		}
	}
}
