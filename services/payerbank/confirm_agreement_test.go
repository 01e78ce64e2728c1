package payerbank

import (
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

func TestConfirmAgreement(t *testing.T) {
	right := SMSCode(testSMSSecret, "S")
	signed := events.AgreementSigned{
		SigningID: "S", AgreementNo: agreementNo(alice, "S"), ChannelID: chanA, PayerKey: alice.key,
		PerPaymentLimit: events.CNY("500.00"), DailyLimit: events.CNY("800.00"),
	}
	refused := func(code string) events.Payload { return events.SigningRefused{SigningID: "S", ReasonCode: code} }
	wrong := func(b *bank, attempt string) {
		b.do("confirm "+attempt, confirmCmd(alice, "S", "000000", attempt))
	}
	expiry := t0.Add(DefaultSMSCodeTTL)
	tests := []struct {
		name  string
		given func(b *bank)
		at    time.Time
		code  string
		then  events.Payload
	}{
		{name: "signed", code: right, then: signed},
		{name: "signed at the last valid instant", at: expiry, code: right, then: signed},
		{name: "signed after wrong codes below the limit", given: func(b *bank) { wrong(b, "a1"); wrong(b, "a2") }, code: right, then: signed},
		{name: "sms_code_rejected", code: "123456x", then: events.SMSCodeRejected{SigningID: "S", Attempt: "A", FailedCount: 1}},
		{name: "sms_code_rejected counts", given: func(b *bank) { wrong(b, "a1") }, code: "", then: events.SMSCodeRejected{SigningID: "S", Attempt: "A", FailedCount: 2}},
		{name: "sms_attempts_exceeded", given: func(b *bank) { wrong(b, "a1"); wrong(b, "a2") }, code: "999999", then: refused(events.ReasonSMSAttemptsExceeded)},
		{name: "sms_code_expired", at: expiry.Add(time.Nanosecond), code: right, then: refused(events.ReasonSMSCodeExpired)},
		{name: "agreement_exists: another signing of the channel completed first", given: func(b *bank) {
			b.sign(alice, chanA, "S2", "100.00", "200.00")
		}, code: right, then: refused(events.ReasonAgreementExists)},
		// Precedence.
		{name: "sms_code_expired before a wrong code", at: expiry.Add(time.Second), code: "000000", then: refused(events.ReasonSMSCodeExpired)},
		{name: "wrong code before agreement_exists", given: func(b *bank) {
			b.sign(alice, chanA, "S2", "100.00", "200.00")
		}, code: "000000", then: events.SMSCodeRejected{SigningID: "S", Attempt: "A", FailedCount: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBank(t)
			b.open(alice, "1000.00")
			b.do("verify S", verifyCmd(alice, chanA, "S", "500.00", "800.00"))
			if tt.given != nil {
				tt.given(b)
			}
			if !tt.at.IsZero() {
				b.at(tt.at)
			}
			out := b.do("confirm A", confirmCmd(alice, "S", tt.code, "A"))
			answered(t, out, "S", tt.then)
			if _, ok := tt.then.(events.AgreementSigned); ok {
				if v, _ := b.h.Agreement(signed.AgreementNo); v.Status != AgreementActive || v.ChannelID != chanA {
					t.Errorf("agreement %+v, want active on %s", v, chanA)
				}
			}
		})
	}
}

func TestConfirmAgreementAttemptLimitIsConfigurable(t *testing.T) {
	b := newBank(t, func(c *Config) { c.MaxSMSAttempts = 1 })
	b.open(alice, "1000.00")
	b.do("verify S", verifyCmd(alice, chanA, "S", "500.00", "800.00"))
	out := b.do("confirm", confirmCmd(alice, "S", "000000", "a1"))
	answered(t, out, "S", events.SigningRefused{SigningID: "S", ReasonCode: events.ReasonSMSAttemptsExceeded})
}

func TestConfirmAgreementTTLIsConfigurable(t *testing.T) {
	b := newBank(t, func(c *Config) { c.SMSCodeTTL = time.Minute })
	b.open(alice, "1000.00")
	out := b.do("verify S", verifyCmd(alice, chanA, "S", "500.00", "800.00"))
	if got := recordedVerify(t, out).CodeExpiresAt; !got.Equal(t0.Add(time.Minute)) {
		t.Fatalf("code expires at %v, want %v", got, t0.Add(time.Minute))
	}
	out = b.at(t0.Add(time.Minute+time.Second)).do("confirm", confirmCmd(alice, "S", SMSCode(testSMSSecret, "S"), "a1"))
	answered(t, out, "S", events.SigningRefused{SigningID: "S", ReasonCode: events.ReasonSMSCodeExpired})
}

func recordedVerify(t *testing.T, out processor.Output) events.SigningVerified {
	t.Helper()
	if len(out.Events) != 1 {
		t.Fatalf("recorded %d events, want 1", len(out.Events))
	}
	p, err := reg.Decode(out.Events[0])
	if err != nil {
		t.Fatal(err)
	}
	v, ok := p.(events.SigningVerified)
	if !ok {
		t.Fatalf("recorded %s, want payer.signing_verified", out.Events[0].Type)
	}
	return v
}

// A submission whose attempt ID was seen (a new command, same attempt) is
// answered with the reply it got and not counted again.
func TestConfirmAgreementSameAttemptCountsOnce(t *testing.T) {
	b := newBank(t)
	b.open(alice, "1000.00")
	b.do("verify S", verifyCmd(alice, chanA, "S", "500.00", "800.00"))
	first := b.do("confirm 1", confirmCmd(alice, "S", "000000", "a1"))
	again := b.do("confirm 1 resent by the saga", confirmCmd(alice, "S", "000000", "a1"))
	if len(again.Events) != 0 {
		t.Fatalf("a repeated attempt recorded %d events", len(again.Events))
	}
	if a, f := replies(t, again), replies(t, first); len(a) != 1 || string(a[0].raw) != string(f[0].raw) {
		t.Fatalf("a repeated attempt was not answered with the original reply")
	}
	out := b.do("confirm 2", confirmCmd(alice, "S", "000000", "a2"))
	recorded(t, out, events.SMSCodeRejected{SigningID: "S", Attempt: "a2", FailedCount: 2})
}

// Once the signing is final, every submission gets the final answer and
// nothing is recorded.
func TestConfirmAgreementAfterFinal(t *testing.T) {
	b := newBank(t)
	b.open(alice, "1000.00")
	b.do("verify S", verifyCmd(alice, chanA, "S", "500.00", "800.00"))
	final := b.do("confirm", confirmCmd(alice, "S", SMSCode(testSMSSecret, "S"), "a1"))
	out := b.do("confirm later", confirmCmd(alice, "S", "000000", "a2"))
	if len(out.Events) != 0 {
		t.Fatalf("recorded %d events after the signing completed", len(out.Events))
	}
	rs := replies(t, out)
	if len(rs) != 1 {
		t.Fatalf("%d replies, want 1", len(rs))
	}
	isCopy(t, rs[0], final.Events[0], "S")

	// A signing refused at verification answers its refusal.
	b.do("verify S3", verifyCmd(alice, chanA, "S3", "500.00", "800.00"))
	refusal := b.log[len(b.log)-1]
	out = b.do("confirm S3", confirmCmd(alice, "S3", SMSCode(testSMSSecret, "S3"), "a1"))
	if len(out.Events) != 0 {
		t.Fatalf("recorded %d events for a refused signing", len(out.Events))
	}
	isCopy(t, replies(t, out)[0], refusal, "S3")
}

// A code for a signing the bank never verified is refused without
// recording anything; the reply is the bank's, derived from the command.
func TestConfirmAgreementSigningNotFound(t *testing.T) {
	b := newBank(t)
	b.open(alice, "1000.00")
	out := b.do("confirm stray", confirmCmd(alice, "nope", "123456", "a1"))
	if len(out.Events) != 0 {
		t.Fatalf("recorded %d events", len(out.Events))
	}
	rs := replies(t, out)
	if len(rs) != 1 {
		t.Fatalf("%d replies, want 1", len(rs))
	}
	samePayload(t, "reply", rs[0].payload, events.SigningRefused{SigningID: "nope", ReasonCode: events.ReasonSigningNotFound})
	if want := events.DeriveID(cmdID("confirm stray"), "payer.signing_refused"); rs[0].env.ID != want || rs[0].env.AggregateID != "nope" {
		t.Errorf("reply %s to %s, want %s to nope", rs[0].env.ID, rs[0].env.AggregateID, want)
	}
}

func TestSMSCode(t *testing.T) {
	c := SMSCode("secret", "S1")
	if len(c) != 6 || strings.Trim(c, "0123456789") != "" {
		t.Fatalf("code %q is not 6 digits", c)
	}
	if SMSCode("secret", "S1") != c {
		t.Error("not deterministic")
	}
	if SMSCode("secret", "S2") == c || SMSCode("other", "S1") == c {
		t.Error("code does not depend on signing or secret")
	}
}

// The code is derived, never stored: no event of a whole signing carries it.
func TestSMSCodeNeverInEvents(t *testing.T) {
	b := newBank(t)
	b.open(alice, "1000.00")
	b.sign(alice, chanA, "S", "500.00", "800.00")
	code := SMSCode(testSMSSecret, "S")
	for _, ev := range b.log {
		if strings.Contains(string(ev.Payload), code) {
			t.Errorf("%s carries the SMS code: %s", ev.Type, ev.Payload)
		}
	}
}
