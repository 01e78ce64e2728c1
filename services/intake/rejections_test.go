package intake

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// rejectionCase is one hostile or malformed record and the rejection it
// must get.
type rejectionCase struct {
	name  string
	value []byte
	code  string
	// field is the wire path the reason must start with ("" for none).
	field string
	// reason, if set, must occur in the outcome's reason.
	reason string
	// byOrder: the outcome is keyed by the order ID (it could be read);
	// otherwise by the record key.
	byOrder bool
}

// rejectionCases has at least one row per reason code of ReasonCodes
// (TestRejectionCasesCoverEveryCode enforces it). The fuzz test seeds its
// corpus from it.
func rejectionCases(t testing.TB) []rejectionCase {
	pay := payRequest(t)
	sign := signRequest()
	confirm := confirmRequest()
	terminate := terminateRequest(t)
	refund := refundRequest()
	amount := func(a string) []byte {
		return []byte(replace(t, pay, `"amount":"12.30"`, `"amount":`+a))
	}
	s := func(v string) []byte { return []byte(v) }
	return []rejectionCase{
		// payload_too_large
		{name: "huge value", value: s(replace(t, pay, `"order_id"`, `"pad":"`+strings.Repeat("a", 64<<10)+`","order_id"`)),
			code: events.ReasonPayloadTooLarge, reason: "65"},
		{name: "deep objects", value: s(request(events.RequestPay, nested(16))), code: events.ReasonPayloadTooLarge, reason: "nesting"},
		{name: "deep arrays beyond encoding/json's limit", value: s(strings.Repeat("[", 20000) + strings.Repeat("]", 20000)),
			code: events.ReasonPayloadTooLarge, reason: "nesting"},

		// malformed_json
		{name: "invalid UTF-8", value: s(replace(t, pay, testOrder, "ord-\xff\xfe")), code: events.ReasonMalformedJSON, reason: "UTF-8"},
		{name: "truncated", value: s(pay[:len(pay)-1]), code: events.ReasonMalformedJSON},
		{name: "trailing data", value: s(pay + `{}`), code: events.ReasonMalformedJSON},
		{name: "array", value: s("[" + pay + "]"), code: events.ReasonMalformedJSON, reason: "not a JSON object"},
		{name: "string", value: s(`"pay"`), code: events.ReasonMalformedJSON},
		{name: "empty", value: []byte{}, code: events.ReasonMalformedJSON},
		{name: "tombstone", value: nil, code: events.ReasonMalformedJSON},
		{name: "NUL bytes", value: []byte{0, 0, 0}, code: events.ReasonMalformedJSON},

		// schema_violation: the envelope
		{name: "extra member", value: s(replace(t, pay, `{"type"`, `{"priority":"high","type"`)),
			code: events.ReasonSchemaViolation, field: "priority", reason: "unknown member", byOrder: true},
		{name: "case-folded member", value: s(replace(t, pay, `"type"`, `"Type"`)),
			code: events.ReasonSchemaViolation, field: "Type", byOrder: true},
		{name: "duplicate member", value: s(replace(t, pay, `"order_id"`, `"order_id":"ord-other","order_id"`)),
			code: events.ReasonSchemaViolation, reason: `duplicate member "order_id"`},
		{name: "missing member", value: s(replace(t, pay, `"idempotency_key":"`+testKey+`",`, ``)),
			code: events.ReasonSchemaViolation, field: "idempotency_key", reason: "required", byOrder: true},
		{name: "version as string", value: s(replace(t, pay, `"version":1`, `"version":"1"`)),
			code: events.ReasonSchemaViolation, field: "version", reason: "must be an integer", byOrder: true},
		{name: "version as fraction", value: s(replace(t, pay, `"version":1`, `"version":1.0`)),
			code: events.ReasonSchemaViolation, field: "version", byOrder: true},
		{name: "null type", value: s(replace(t, pay, `"type":"pay"`, `"type":null`)),
			code: events.ReasonSchemaViolation, field: "type", reason: "required", byOrder: true},
		{name: "null body", value: s(request(events.RequestPay, `null`)),
			code: events.ReasonSchemaViolation, field: "body", reason: "not a JSON object", byOrder: true},
		{name: "body array", value: s(request(events.RequestPay, `[]`)),
			code: events.ReasonSchemaViolation, field: "body", byOrder: true},
		{name: "channel_id with space", value: s(replace(t, pay, `"channel_id":"alipay"`, `"channel_id":"ali pay"`)),
			code: events.ReasonSchemaViolation, field: "channel_id", byOrder: true},
		{name: "channel_id too long", value: s(replace(t, pay, `"channel_id":"alipay"`, `"channel_id":"`+strings.Repeat("c", 33)+`"`)),
			code: events.ReasonSchemaViolation, field: "channel_id", byOrder: true},
		{name: "empty order_id", value: s(replace(t, pay, `"order_id":"`+testOrder+`"`, `"order_id":""`)),
			code: events.ReasonSchemaViolation, field: "order_id"},
		{name: "order_id with newline", value: s(replace(t, pay, testOrder, `ord\n1`)),
			code: events.ReasonSchemaViolation, field: "order_id"},
		{name: "order_id too long", value: s(replace(t, pay, testOrder, strings.Repeat("o", 65))),
			code: events.ReasonSchemaViolation, field: "order_id"},
		{name: "idempotency_key too long", value: s(replace(t, pay, testKey, strings.Repeat("k", 129))),
			code: events.ReasonSchemaViolation, field: "idempotency_key", byOrder: true},

		// schema_violation: bodies
		{name: "body extra member", value: s(replace(t, pay, `{"agreement_no"`, `{"memo":"x","agreement_no"`)),
			code: events.ReasonSchemaViolation, field: "body.memo", reason: "unknown member", byOrder: true},
		{name: "body duplicate member", value: s(replace(t, pay, `{"agreement_no"`, `{"agreement_no":"NU","agreement_no"`)),
			code: events.ReasonSchemaViolation, field: "body", reason: "duplicate member", byOrder: true},
		{name: "body missing amount", value: s(request(events.RequestPay, `{"agreement_no":"`+testAgreementNo(t)+`"}`)),
			code: events.ReasonSchemaViolation, field: "body.amount", reason: "required", byOrder: true},
		{name: "body null amount", value: s(replace(t, pay, `{"amount":"12.30","currency":"CNY"}`, `null`)),
			code: events.ReasonSchemaViolation, field: "body.amount", reason: "required", byOrder: true},
		{name: "agreement_no as number", value: s(replace(t, terminate, `"agreement_no":"`+testAgreementNo(t)+`"`, `"agreement_no":7`)),
			code: events.ReasonSchemaViolation, field: "body.agreement_no", reason: "must be a string, not number", byOrder: true},
		{name: "payer_account too short", value: s(replace(t, sign, testAccount, "1234")),
			code: events.ReasonSchemaViolation, field: "body.payer_account", byOrder: true},
		{name: "payer_account with letters", value: s(replace(t, sign, testAccount, "6222O20200001234")),
			code: events.ReasonSchemaViolation, field: "body.payer_account", byOrder: true},
		{name: "holder_name with control character", value: s(replace(t, sign, `"张三"`, `"张\u0007三"`)),
			code: events.ReasonSchemaViolation, field: "body.holder_name", byOrder: true},
		{name: "empty holder_name", value: s(replace(t, sign, `"张三"`, `""`)),
			code: events.ReasonSchemaViolation, field: "body.holder_name", byOrder: true},
		{name: "id_number 16 characters", value: s(replace(t, sign, "11010519491231002X", "1101051949123100")),
			code: events.ReasonSchemaViolation, field: "body.id_number", byOrder: true},
		{name: "phone 10 digits", value: s(replace(t, sign, "13800138000", "1380013800")),
			code: events.ReasonSchemaViolation, field: "body.phone", byOrder: true},
		{name: "sms_code letters", value: s(replace(t, confirm, "123456", "12a456")),
			code: events.ReasonSchemaViolation, field: "body.sms_code", byOrder: true},

		// Legacy refunds: the shape, and whether the direct path runs.
		{name: "legacy refund txn_id not issued by paycore", value: []byte(legacyRefundRequest("TXN-1", "1.00")),
			code: events.ReasonNotDirectPayment, field: "body.txn_id", byOrder: true},
		{name: "legacy refund without the cutover", value: []byte(legacyRefundRequest(testTxnID, "1.00")),
			code: events.ReasonLegacyPathUnavailable, field: "type", byOrder: true},

		// Refunds: the intake checks the shape; the saga checks the payment.
		{name: "refund txn_id not issued by paycore", value: s(replace(t, refund, testTxnID, "TXN-1")),
			code: events.ReasonPaymentNotFound, field: "body.txn_id", byOrder: true},
		{name: "refund of zero", value: s(replace(t, refund, `"2.30"`, `"0.00"`)),
			code: events.CodeAmountNotPositive, field: "body.amount", byOrder: true},
		{name: "refund negative", value: s(replace(t, refund, `"2.30"`, `"-2.30"`)),
			code: events.CodeAmountNegative, field: "body.amount", byOrder: true},
		{name: "refund with three decimals", value: s(replace(t, refund, `"2.30"`, `"2.301"`)),
			code: events.CodeAmountScaleExceeded, field: "body.amount.amount", byOrder: true},

		// unknown_request_type
		{name: "unknown type", value: s(replace(t, pay, `"type":"pay"`, `"type":"withdraw"`)),
			code: events.ReasonUnknownRequestType, field: "type", byOrder: true},
		{name: "empty type", value: s(replace(t, pay, `"type":"pay"`, `"type":""`)),
			code: events.ReasonUnknownRequestType, field: "type", byOrder: true},

		// unsupported_version
		{name: "version 2", value: s(replace(t, pay, `"version":1`, `"version":2`)),
			code: events.ReasonUnsupportedVersion, field: "version", byOrder: true},
		{name: "version 0", value: s(replace(t, sign, `"version":1`, `"version":0`)),
			code: events.ReasonUnsupportedVersion, field: "version", byOrder: true},

		// limits_invalid
		{name: "per payment above daily", value: s(replace(t, sign, `"amount":"500"`, `"amount":"2000.01"`)),
			code: events.ReasonLimitsInvalid, field: "body.per_payment_limit", reason: "daily_limit", byOrder: true},
		{name: "zero per payment limit", value: s(replace(t, sign, `"amount":"500"`, `"amount":"0"`)),
			code: events.ReasonLimitsInvalid, field: "body.per_payment_limit", byOrder: true},
		{name: "negative daily limit", value: s(replace(t, sign, `"amount":"2000.00"`, `"amount":"-2000.00"`)),
			code: events.ReasonLimitsInvalid, field: "body.daily_limit", byOrder: true},

		// agreement_not_found
		{name: "agreement_no not issued by paycore", value: s(replace(t, pay, testAgreementNo(t), "2088000000000001")),
			code: events.ReasonAgreementNotFound, field: "body.agreement_no", byOrder: true},
		{name: "agreement_no lower case", value: s(replace(t, terminate, testAgreementNo(t), strings.ToLower(testAgreementNo(t)))),
			code: events.ReasonAgreementNotFound, field: "body.agreement_no", byOrder: true},

		// signing_not_found
		{name: "signing_id not a UUID", value: s(replace(t, confirm, testSigningID, "signing-1")),
			code: events.ReasonSigningNotFound, field: "body.signing_id", byOrder: true},
		{name: "signing_id upper case", value: s(replace(t, confirm, testSigningID, strings.ToUpper(testSigningID))),
			code: events.ReasonSigningNotFound, field: "body.signing_id", byOrder: true},

		// money codes
		{name: "amount as JSON number", value: s(replace(t, pay, `"amount":"12.30"`, `"amount":12.3`)),
			code: events.CodeAmountMalformed, field: "body.amount.amount", byOrder: true},
		{name: "amount in exponent notation", value: amount(`"1e3"`), code: events.CodeAmountMalformed, field: "body.amount.amount", byOrder: true},
		{name: "amount with comma", value: amount(`"12,30"`), code: events.CodeAmountMalformed, byOrder: true},
		{name: "money as a string", value: s(replace(t, pay, `{"amount":"12.30","currency":"CNY"}`, `"12.30"`)),
			code: events.CodeAmountMalformed, field: "body.amount.amount", reason: "must be an object", byOrder: true},
		{name: "limit in exponent notation", value: s(replace(t, sign, `"amount":"500"`, `"amount":"5e2"`)),
			code: events.CodeAmountMalformed, field: "body.per_payment_limit.amount", byOrder: true},
		{name: "negative amount", value: amount(`"-1"`), code: events.CodeAmountNegative, field: "body.amount", byOrder: true},
		{name: "zero amount", value: amount(`"0"`), code: events.CodeAmountNotPositive, field: "body.amount", byOrder: true},
		{name: "negative zero amount", value: amount(`"-0.00"`), code: events.CodeAmountNotPositive, field: "body.amount", byOrder: true},
		{name: "three decimals", value: amount(`"0.001"`), code: events.CodeAmountScaleExceeded, field: "body.amount.amount", byOrder: true},
		{name: "trailing zero decimal", value: amount(`"1.230"`), code: events.CodeAmountScaleExceeded, byOrder: true},
		{name: "amount above the maximum", value: amount(`"1000000000000000"`), code: events.CodeAmountTooLarge, byOrder: true},
		{name: "currency USD", value: s(replace(t, pay, `"CNY"`, `"USD"`)),
			code: events.CodeCurrencyUnsupported, field: "body.amount.currency", byOrder: true},
		{name: "currency lower case", value: s(replace(t, pay, `"CNY"`, `"cny"`)), code: events.CodeCurrencyUnsupported, byOrder: true},
		{name: "currency missing", value: s(replace(t, pay, `,"currency":"CNY"`, ``)), code: events.CodeCurrencyUnsupported, byOrder: true},
	}
}

func TestRejections(t *testing.T) {
	h := testHandler(t)
	for _, tt := range rejectionCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			out, err := h.Handle(message(tt.value))
			if err != nil {
				t.Fatalf("bad input returned an error: %v", err)
			}
			outcome, kept := wantRejection(t, h, tt.value, out)
			t.Logf("%s: %s", outcome.ReasonCode, outcome.Reason)
			if outcome.ReasonCode != tt.code || kept.ReasonCode != tt.code {
				t.Fatalf("reason code %q / %q, want %q (reason %q)", outcome.ReasonCode, kept.ReasonCode, tt.code, outcome.Reason)
			}
			if tt.field != "" && !strings.HasPrefix(outcome.Reason, tt.field+": ") {
				t.Errorf("reason %q does not name field %s", outcome.Reason, tt.field)
			}
			if !strings.Contains(outcome.Reason, tt.reason) {
				t.Errorf("reason %q does not say %q", outcome.Reason, tt.reason)
			}
			wantKey, wantOrder := "record-key", ""
			if tt.byOrder {
				wantKey, wantOrder = testOrder, testOrder
			}
			if out.Messages[0].Key != wantKey || out.Messages[1].Key != wantKey {
				t.Errorf("keys %q, %q, want %q", out.Messages[0].Key, out.Messages[1].Key, wantKey)
			}
			if outcome.OrderID != wantOrder || kept.OrderID != wantOrder {
				t.Errorf("order IDs %q, %q, want %q", outcome.OrderID, kept.OrderID, wantOrder)
			}
		})
	}
}

// wantRejection checks the shape every rejection shares and returns the
// decoded outcome and reject.
func wantRejection(t *testing.T, h *Handler, value []byte, out processor.Output) (events.Outcome, events.Rejected) {
	t.Helper()
	if len(out.Events) != 0 || len(out.Messages) != 2 {
		t.Fatalf("want 0 events and 2 messages, got %d and %d", len(out.Events), len(out.Messages))
	}
	if out.Messages[0].Topic != h.cfg.Topics.Outcomes || out.Messages[1].Topic != h.cfg.Topics.Rejects {
		t.Fatalf("topics %s, %s", out.Messages[0].Topic, out.Messages[1].Topic)
	}
	var outcome events.Outcome
	strictUnmarshal(t, out.Messages[0].Value, &outcome)
	var kept events.Rejected
	strictUnmarshal(t, out.Messages[1].Value, &kept)

	if want := events.DeriveID(requestTopic, "3", "42", "rejected"); outcome.OutcomeID != want {
		t.Errorf("OutcomeID %s, want %s", outcome.OutcomeID, want)
	}
	if outcome.Status != events.StatusRejected || outcome.Reason == "" || !outcome.DecidedAt.Equal(testTime) {
		t.Errorf("outcome %+v", outcome)
	}
	if _, ok := events.Reasons[outcome.ReasonCode]; !ok {
		t.Errorf("reason code %q is not in events.Reasons", outcome.ReasonCode)
	}
	if kept.Reason != outcome.Reason || kept.Topic != requestTopic || kept.Partition != 3 || kept.Offset != 42 ||
		kept.Key != "record-key" || !kept.RejectedAt.Equal(testTime) {
		t.Errorf("reject %+v", kept)
	}
	if !bytes.Equal(kept.Raw, value) {
		t.Errorf("raw %q, want the record verbatim %q", kept.Raw, value)
	}
	return outcome, kept
}

func strictUnmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
}

func TestRejectionCasesCoverEveryCode(t *testing.T) {
	covered := map[string]bool{}
	for _, tt := range rejectionCases(t) {
		covered[tt.code] = true
	}
	codes := ReasonCodes()
	if sorted := slices.Sorted(slices.Values(codes)); len(slices.Compact(sorted)) != len(codes) {
		t.Errorf("ReasonCodes lists a code twice: %v", codes)
	}
	for _, code := range codes {
		if _, ok := events.Reasons[code]; !ok {
			t.Errorf("ReasonCodes has %q, which events.Reasons does not document", code)
		}
		if !covered[code] {
			t.Errorf("no rejection case for %s", code)
		}
		delete(covered, code)
	}
	for code := range covered {
		t.Errorf("rejection case with code %s, which ReasonCodes does not list", code)
	}
}

// TestRejectionEchoesIdentity checks which request fields a rejection
// carries back: those that could be read and are valid, nothing else.
func TestRejectionEchoesIdentity(t *testing.T) {
	h := testHandler(t)
	pay := payRequest(t)
	tests := []struct {
		name                          string
		value                         string
		requestType, channel, idemKey string
	}{
		{name: "body error", value: replace(t, pay, `"12.30"`, `"0"`), requestType: "pay", channel: testChannel, idemKey: testKey},
		{name: "unknown type", value: replace(t, pay, `"type":"pay"`, `"type":"withdraw"`), channel: testChannel, idemKey: testKey},
		{name: "schema error", value: replace(t, pay, `"version":1`, `"version":"1"`), requestType: "pay", channel: testChannel, idemKey: testKey},
		{name: "invalid channel", value: replace(t, pay, `"channel_id":"alipay"`, `"channel_id":"a/b"`), requestType: "pay", idemKey: testKey},
		{name: "ambiguous channel", value: replace(t, replace(t, pay, `"version":1`, `"version":"1"`), `"channel_id"`, `"channel_id":"x","channel_id"`), requestType: "pay", idemKey: testKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := h.Handle(message([]byte(tt.value)))
			if err != nil {
				t.Fatal(err)
			}
			outcome, kept := wantRejection(t, h, []byte(tt.value), out)
			if outcome.RequestType != tt.requestType || outcome.ChannelID != tt.channel || outcome.IdempotencyKey != tt.idemKey || kept.ChannelID != tt.channel {
				t.Fatalf("echoed type %q channel %q key %q (reject channel %q), want %q %q %q",
					outcome.RequestType, outcome.ChannelID, outcome.IdempotencyKey, kept.ChannelID, tt.requestType, tt.channel, tt.idemKey)
			}
		})
	}
}
