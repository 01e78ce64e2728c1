package reqschema

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/payerkey"
)

// The examples tell one story: a customer signs, confirms, pays and
// terminates. They are checked by the tests: each is valid under its
// schema and becomes a command in the intake.
const (
	exampleChannel = "alipay"
	exampleAccount = "6222020200001234"
	// exampleSecret stands in for a deployment's payer-key secret; the
	// agreement number of a real deployment differs, its shape does not.
	exampleSecret = "documentation-only"
)

// exampleIdentity gives each example request its order ID and idempotency
// key.
var exampleIdentity = map[string]struct{ orderID, key string }{
	events.RequestSignAgreement:      {"ord-20250301-0001", "sign-20250301-0001"},
	events.RequestConfirmSigning:     {"ord-20250301-0002", "confirm-20250301-0002"},
	events.RequestPay:                {"ord-20250301-0003", "pay-20250301-0003"},
	events.RequestTerminateAgreement: {"ord-20250301-0004", "terminate-20250301-0004"},
	events.RequestRefund:             {"ord-20250302-0005", "refund-20250302-0005"},
	events.RequestLegacyRefund:       {"ord-20250303-0006", "legacy-refund-20250303-0006"},
}

type examples struct {
	sign      events.SignAgreementBody
	confirm   events.ConfirmSigningBody
	pay       events.PayBody
	terminate events.TerminateAgreementBody
	refund    events.RefundBody
	// legacyRefund refunds the pay example as if it had taken the direct
	// path.
	legacyRefund events.LegacyRefundBody
	// signingID and agreementNo are what the sign example's outcomes carry.
	signingID, agreementNo string
}

func newExamples() examples {
	deriver, err := payerkey.NewDeriver(exampleSecret)
	if err != nil {
		panic("reqschema: " + err.Error())
	}
	signingID := events.DeriveID("signing", exampleChannel, exampleIdentity[events.RequestSignAgreement].key)
	agreementNo := payerkey.AgreementNo(deriver.Key(exampleAccount), signingID)
	return examples{
		sign: events.SignAgreementBody{
			PayerAccount:    exampleAccount,
			HolderName:      "张三",
			IDNumber:        "11010519491231002X",
			Phone:           "13800138000",
			PerPaymentLimit: events.CNY("5000.00"),
			DailyLimit:      events.CNY("20000.00"),
		},
		confirm:   events.ConfirmSigningBody{SigningID: signingID, SMSCode: "246810"},
		pay:       events.PayBody{AgreementNo: agreementNo, Amount: events.CNY("128.50")},
		terminate: events.TerminateAgreementBody{AgreementNo: agreementNo},
		refund: events.RefundBody{
			TxnID:  events.DeriveID("txn", exampleChannel, exampleIdentity[events.RequestPay].key),
			Amount: events.CNY("28.50"),
		},
		legacyRefund: events.LegacyRefundBody{
			TxnID:  events.DeriveID("txn", exampleChannel, exampleIdentity[events.RequestPay].key),
			Amount: events.CNY("18.50"),
		},
		signingID:   signingID,
		agreementNo: agreementNo,
	}
}

// exampleRequest is the example of rt as compact JSON.
func exampleRequest(rt requestType) json.RawMessage {
	body, err := json.Marshal(rt.example)
	if err != nil {
		panic("reqschema: example body of " + rt.name + ": " + err.Error())
	}
	id := exampleIdentity[rt.name]
	req, err := json.Marshal(events.Request{
		Type:           rt.name,
		Version:        Version,
		ChannelID:      exampleChannel,
		OrderID:        id.orderID,
		IdempotencyKey: id.key,
		Body:           body,
	})
	if err != nil {
		panic("reqschema: example of " + rt.name + ": " + err.Error())
	}
	return req
}

// ExampleRequests returns a valid example of every request type, keyed by
// type, as a channel would publish it.
func ExampleRequests() map[string][]byte {
	out := map[string][]byte{}
	for _, rt := range requestTypes() {
		out[rt.name] = exampleRequest(rt)
	}
	return out
}

// exampleOutcome is the success outcome of the pay example.
func exampleOutcome() events.Outcome {
	ex := newExamples()
	id := exampleIdentity[events.RequestPay]
	amount := ex.pay.Amount
	return events.Outcome{
		OutcomeID:      events.DeriveID("example", "outcome"),
		RequestType:    events.RequestPay,
		ChannelID:      exampleChannel,
		OrderID:        id.orderID,
		IdempotencyKey: id.key,
		Status:         events.StatusSuccess,
		TransactionID:  events.DeriveID("txn", exampleChannel, id.key),
		AgreementNo:    ex.agreementNo,
		Amount:         &amount,
		DecidedAt:      time.Date(2025, 3, 1, 9, 30, 0, 120_000_000, time.UTC),
	}
}

// exampleRejection is the outcome of the pay example with a float amount.
func exampleRejection() events.Outcome {
	id := exampleIdentity[events.RequestPay]
	return events.Outcome{
		OutcomeID:      events.DeriveID("example", "rejection"),
		RequestType:    events.RequestPay,
		ChannelID:      exampleChannel,
		OrderID:        id.orderID,
		IdempotencyKey: id.key,
		Status:         events.StatusRejected,
		ReasonCode:     events.CodeAmountMalformed,
		Reason:         "body.amount.amount: amount must be a JSON string such as \"12.30\"",
		DecidedAt:      time.Date(2025, 3, 1, 9, 30, 0, 5_000_000, time.UTC),
	}
}

func indentJSON(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		panic("reqschema: " + err.Error())
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		panic("reqschema: " + err.Error())
	}
	return out.String()
}
