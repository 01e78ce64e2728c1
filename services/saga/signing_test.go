package saga

import (
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

var signingID = events.DeriveID("test", "signing")

func startSigning(order, hash string) events.StartSigning {
	return events.StartSigning{
		SigningID: signingID, ChannelID: "chan-1", OrderID: order, IdempotencyKey: "sign-idem", BodyHash: hash,
		PayerKey: payerKey, PayerAccount: "6222000011112222", HolderName: "张三", IDNumber: "110101199001011234",
		Phone: "13800000000", PerPaymentLimit: events.CNY("500"), DailyLimit: events.CNY("2000"),
	}
}

// codeExpiry is the SMS code expiry the test bank reports.
const codeExpiry = 5 * time.Minute

func sign(d time.Duration) step { return signAs("sign-order", "sign-hash", d) }

func signAs(order, hash string, d time.Duration) step {
	return func(x *harness) processor.Message { return x.msg(startSigning(order, hash), at(d)) }
}

func verified(d time.Duration) step {
	return func(x *harness) processor.Message {
		return x.msg(events.SigningVerified{SigningID: signingID, ChannelID: "chan-1", PayerKey: payerKey,
			PerPaymentLimit: events.CNY("500"), DailyLimit: events.CNY("2000"), CodeExpiresAt: at(codeExpiry)}, at(d))
	}
}

func signRefused(reason string, d time.Duration) step {
	return func(x *harness) processor.Message {
		return x.msg(events.SigningRefused{SigningID: signingID, ReasonCode: reason}, at(d))
	}
}

// code submits a confirm request with idempotency key key.
func code(key string, d time.Duration) step { return codeAs("chan-1", key, "hash-"+key, d) }

func codeAs(channel, key, hash string, d time.Duration) step {
	return func(x *harness) processor.Message {
		return x.msg(events.SubmitSMSCode{SigningID: signingID, ChannelID: channel, OrderID: "order-" + key,
			IdempotencyKey: key, BodyHash: hash, SMSCode: "123456"}, at(d))
	}
}

func codeRejected(key string, d time.Duration) step {
	return func(x *harness) processor.Message {
		return x.msg(events.SMSCodeRejected{SigningID: signingID, Attempt: confirmAttempt(signingID, key), FailedCount: 1}, at(d))
	}
}

func signed(d time.Duration) step {
	return func(x *harness) processor.Message {
		return x.msg(events.AgreementSigned{SigningID: signingID, AgreementNo: "AGR-1", ChannelID: "chan-1", PayerKey: payerKey,
			PerPaymentLimit: events.CNY("500"), DailyLimit: events.CNY("2000")}, at(d))
	}
}

func signingLine(v SigningView) string {
	if v.Status != "" {
		return strings.Join(strings.Fields(v.Status+" "+v.ReasonCode+" "+v.AgreementNo), " ")
	}
	return v.Step
}

func TestSigningTransitions(t *testing.T) {
	const (
		mismatch = events.ReasonIdentityMismatch
		exceeded = events.ReasonSMSAttemptsExceeded
	)
	dl := deadline(signingID)
	awaitCode := seq(sign(0), verified(time.Second))
	awaitAgreement := seq(awaitCode, code("c1", time.Minute))
	// SigningTimeout 10m from the start, re-sends every LegTimeout (2s).
	resendsToFinal := times(299, dl)
	cases := []struct {
		name  string
		given []step
		when  step
		then  []string
		view  string
	}{
		// The way to an agreement.
		{"start asks the bank to verify", nil, sign(0),
			[]string{"signing.started", "→ payer.verify_signing"}, "await_bank"},
		{"verified: sms_sent to the sign order", seq(sign(0)), verified(time.Second),
			[]string{"signing.step_changed await_code", "outcome sms_sent sign-order"}, "await_code"},
		{"code submitted: ask the bank", awaitCode, code("c1", time.Minute),
			[]string{"signing.code_submitted", "→ payer.confirm_agreement"}, "await_agreement"},
		{"signed: answer the confirm order", awaitAgreement, signed(61 * time.Second),
			[]string{"signing.finished signed", "outcome signed order-c1"}, "signed AGR-1"},

		// Refusals and wrong codes.
		{"bank refuses the holder: signing_failed to the sign order", seq(sign(0)), signRefused(mismatch, time.Second),
			[]string{"signing.finished signing_failed identity_mismatch", "outcome signing_failed identity_mismatch sign-order"},
			"signing_failed identity_mismatch"},
		{"wrong code: the confirm is rejected, the signing waits", awaitAgreement, codeRejected("c1", 61*time.Second),
			[]string{"signing.step_changed await_code sms_code_invalid", "outcome rejected sms_code_invalid order-c1"}, "await_code"},
		{"another code after a wrong one", seq(awaitAgreement, codeRejected("c1", 61*time.Second)), code("c2", 2*time.Minute),
			[]string{"signing.code_submitted", "→ payer.confirm_agreement"}, "await_agreement"},
		{"second code right: signed for its order", seq(awaitAgreement, codeRejected("c1", 61*time.Second), code("c2", 2*time.Minute)),
			signed(121 * time.Second),
			[]string{"signing.finished signed", "outcome signed order-c2"}, "signed AGR-1"},
		{"too many wrong codes: signing_failed to the confirm order", awaitAgreement, signRefused(exceeded, 61*time.Second),
			[]string{"signing.finished signing_failed sms_attempts_exceeded", "outcome signing_failed sms_attempts_exceeded order-c1"},
			"signing_failed sms_attempts_exceeded"},

		// Deadlines.
		{"no code before expiry: sms_code_expired to the sign order", awaitCode, dl,
			[]string{"signing.finished signing_failed sms_code_expired", "outcome signing_failed sms_code_expired sign-order"},
			"signing_failed sms_code_expired"},
		{"bank silent on verify: re-send", seq(sign(0)), dl,
			[]string{"signing.step_changed await_bank", "→ payer.verify_signing"}, "await_bank"},
		{"bank silent on verify until the final deadline: payer_leg_unknown", seq(sign(0), resendsToFinal), dl,
			[]string{"signing.finished signing_failed payer_leg_unknown", "outcome signing_failed payer_leg_unknown sign-order"},
			"signing_failed payer_leg_unknown"},
		{"bank silent on the code: re-send", awaitAgreement, dl,
			[]string{"signing.step_changed await_agreement", "→ payer.confirm_agreement"}, "await_agreement"},
		{"bank silent on the code until the final deadline: payer_leg_unknown to the confirm", seq(awaitAgreement, times(269, dl)), dl,
			[]string{"signing.finished signing_failed payer_leg_unknown", "outcome signing_failed payer_leg_unknown order-c1"},
			"signing_failed payer_leg_unknown"},
		{"stale deadline", seq(sign(0), dl), fire(signingID, 2*time.Second, 5*time.Second), nil, "await_bank"},
		{"early deadline", awaitCode, fire(signingID, codeExpiry, codeExpiry-time.Millisecond), nil, "await_code"},

		// Stale replies.
		{"verified twice", awaitCode, verified(2 * time.Second), nil, "await_code"},
		{"code rejection for another attempt", awaitAgreement, codeRejected("c9", 61*time.Second), nil, "await_agreement"},
		{"code rejection while awaiting a code", seq(awaitAgreement, codeRejected("c1", 61*time.Second)), codeRejected("c1", 62*time.Second),
			nil, "await_code"},
		{"reply after the end", seq(sign(0), signRefused(mismatch, time.Second)), verified(2 * time.Second),
			nil, "signing_failed identity_mismatch"},
		{"agreement after the end", seq(awaitAgreement, signed(61*time.Second)), signed(62 * time.Second), nil, "signed AGR-1"},

		// Confirm requests the saga refuses itself.
		{"code before the SMS was sent: signing_not_pending, recorded", seq(sign(0)), code("c1", time.Second),
			[]string{"signing.confirm_rejected signing_not_pending", "outcome rejected signing_not_pending order-c1", "reject signing_not_pending order-c1"},
			"await_bank"},
		{"code while another is checked: signing_not_pending", awaitAgreement, code("c2", 61*time.Second),
			[]string{"signing.confirm_rejected signing_not_pending", "outcome rejected signing_not_pending order-c2", "reject signing_not_pending order-c2"},
			"await_agreement"},
		{"a refused key stays refused once codes are awaited again", seq(awaitAgreement, code("c2", 61*time.Second), codeRejected("c1", 62*time.Second)),
			code("c2", 63*time.Second),
			[]string{"outcome rejected signing_not_pending order-c2"}, "await_code"},
		{"code after the end: signing_not_pending, not recorded", seq(awaitAgreement, signed(61*time.Second)), code("c2", 2*time.Minute),
			[]string{"outcome rejected signing_not_pending order-c2", "reject signing_not_pending order-c2"}, "signed AGR-1"},
		{"code for another channel's signing: signing_not_found", awaitCode, codeAs("chan-2", "c1", "h", time.Minute),
			[]string{"outcome rejected signing_not_found order-c1", "reject signing_not_found order-c1"}, "await_code"},

		// Repeated requests.
		{"same confirm while the bank checks: re-send the check", awaitAgreement, code("c1", 61*time.Second),
			[]string{"→ payer.confirm_agreement"}, "await_agreement"},
		{"same confirm after a wrong code: same answer", seq(awaitAgreement, codeRejected("c1", 61*time.Second)), code("c1", 62*time.Second),
			[]string{"outcome rejected sms_code_invalid order-c1"}, "await_code"},
		{"same confirm after signing: same answer", seq(awaitAgreement, signed(61*time.Second)), code("c1", time.Hour),
			[]string{"outcome signed order-c1"}, "signed AGR-1"},
		{"confirm key reused with another body: rejected", awaitAgreement, codeAs("chan-1", "c1", "other-hash", 61*time.Second),
			[]string{"outcome rejected duplicate_key_different_body order-c1", "reject duplicate_key_different_body order-c1"}, "await_agreement"},
		{"same sign request while verifying: re-send the check", seq(sign(0)), sign(time.Second),
			[]string{"→ payer.verify_signing"}, "await_bank"},
		{"same sign request once verified: sms_sent again", awaitAgreement, sign(2 * time.Minute),
			[]string{"outcome sms_sent sign-order"}, "await_agreement"},
		{"same sign request after expiry: sms_sent and the failure", seq(awaitCode, dl), sign(time.Hour),
			[]string{"outcome sms_sent sign-order", "outcome signing_failed sms_code_expired sign-order"}, "signing_failed sms_code_expired"},
		{"sign key reused with another body: rejected", awaitCode, signAs("sign-order-2", "other-hash", time.Minute),
			[]string{"outcome rejected duplicate_key_different_body sign-order-2", "reject duplicate_key_different_body sign-order-2"}, "await_code"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := newHarness(t)
			for _, g := range tc.given {
				x.handle(g(x))
			}
			equalLines(t, x.lines(x.handle(tc.when(x))), tc.then)
			v, ok := x.h.Signing(signingID)
			if !ok {
				t.Fatal("no signing")
			}
			if got := signingLine(v); got != tc.view {
				t.Errorf("signing is %q, want %q", got, tc.view)
			}
		})
	}
}

func TestSubmitCodeForUnknownSigning(t *testing.T) {
	x := newHarness(t)
	out := x.handle(code("c1", 0)(x))
	equalLines(t, x.lines(out), []string{"outcome rejected signing_not_found order-c1", "reject signing_not_found order-c1"})
	if _, ok := x.h.Signing(signingID); ok || len(x.log) != 0 {
		t.Fatal("a confirm for an unknown signing created a saga")
	}
	if oc := outcomes(t, out)[0]; oc.SigningID != signingID || oc.RequestType != events.RequestConfirmSigning {
		t.Errorf("outcome %+v: want the signing ID and request type", oc)
	}
}

func TestSigningCommandDetails(t *testing.T) {
	x := newHarness(t)
	out := x.handle(sign(0)(x))
	verify := x.commands(out, testTopics.PayerInbox)
	if len(verify) != 1 || verify[0].AggregateID != payerKey {
		t.Fatalf("verify %+v: want one, keyed by payer key", verify)
	}
	resent := x.commands(x.handle(deadline(signingID)(x)), testTopics.PayerInbox)
	if len(resent) != 1 || resent[0].ID == verify[0].ID || string(resent[0].Payload) != string(verify[0].Payload) {
		t.Errorf("re-sent verify %+v: want a new envelope ID and the same payload", resent)
	}
	out = x.handle(verified(3 * time.Second)(x))
	if v, _ := x.h.Signing(signingID); !v.Deadline.Equal(at(codeExpiry)) || !v.SMSSentAt.Equal(at(3*time.Second)) {
		t.Errorf("await_code deadline %v, sms sent %v: want the code expiry and the reply's time", v.Deadline, v.SMSSentAt)
	}
	if x.h.signings[signingID].run.verify != nil {
		t.Error("the holder's identity data outlived the verification")
	}
	oc := outcomes(t, out)[0]
	if oc.SigningID != signingID || oc.OutcomeID != events.DeriveID(signingID, "sms_sent") || oc.RequestType != events.RequestSignAgreement {
		t.Errorf("sms_sent outcome %+v", oc)
	}

	out = x.handle(code("c1", time.Minute)(x))
	cmds := x.commands(out, testTopics.PayerInbox)
	p, err := x.reg.Decode(cmds[0])
	if err != nil {
		t.Fatal(err)
	}
	if c := p.(events.ConfirmAgreement); c.Attempt != confirmAttempt(signingID, "c1") || c.SMSCode != "123456" || c.PayerKey != payerKey {
		t.Errorf("confirm %+v: want the request's attempt ID and code", c)
	}
	out = x.handle(signed(61 * time.Second)(x))
	oc = outcomes(t, out)[0]
	if oc.AgreementNo != "AGR-1" || oc.OutcomeID != confirmOutcomeID(signingID, "chan-1", "c1") || oc.IdempotencyKey != "c1" {
		t.Errorf("signed outcome %+v: want the agreement number for the confirm request", oc)
	}
	if x.h.signings[signingID].run != nil {
		t.Error("a finished signing kept its working state")
	}
}

func TestSigningConfirmKeysAreBounded(t *testing.T) {
	x := newHarness(t)
	x.handle(sign(0)(x))
	for i := range maxConfirms {
		x.handle(code("k"+string(rune('a'+i)), time.Duration(i+1)*time.Millisecond)(x))
	}
	out := x.handle(code("one-too-many", time.Second)(x))
	equalLines(t, x.lines(out), []string{"outcome rejected sms_attempts_exceeded order-one-too-many", "reject sms_attempts_exceeded order-one-too-many"})
	if v, _ := x.h.Signing(signingID); v.Confirms != maxConfirms {
		t.Errorf("%d confirms remembered, want %d", v.Confirms, maxConfirms)
	}
}

func TestSigningRedeliveryResendsIdenticalRecords(t *testing.T) {
	dl := deadline(signingID)
	scenarios := map[string][]step{
		"signed":   seq(sign(0), dl, verified(3*time.Second), code("c1", time.Minute), dl, codeRejected("c1", 63*time.Second), code("c2", 2*time.Minute), signed(121*time.Second)),
		"expired":  seq(sign(0), verified(time.Second), dl),
		"resent":   seq(sign(0), verified(time.Second), code("c1", 2*time.Second), dl),
		"refused":  seq(sign(0), signRefused(events.ReasonAccountNotFound, time.Second)),
		"rejected": seq(sign(0), code("c1", time.Second)),
	}
	for name, steps := range scenarios {
		t.Run(name, func(t *testing.T) {
			x := newHarness(t)
			for _, s := range steps {
				m := s(x)
				first := x.handle(m)
				again := x.handle(m)
				if len(again.Events) != 0 {
					t.Fatalf("%s redelivered recorded %d events", m.Envelope.Type, len(again.Events))
				}
				equalLines(t, x.lines(again), x.lines(processor.Output{Messages: first.Messages}))
				for i := range first.Messages {
					if string(first.Messages[i].Value) != string(again.Messages[i].Value) {
						t.Errorf("%s redelivered sent\n%s\nfirst\n%s", m.Envelope.Type, again.Messages[i].Value, first.Messages[i].Value)
					}
				}
			}
		})
	}
}
