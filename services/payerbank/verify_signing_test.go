package payerbank

import (
	"testing"

	"github.com/paycore/paycore/events"
)

func TestVerifySigning(t *testing.T) {
	ok := func(c events.VerifySigning) events.Payload {
		return events.SigningVerified{
			SigningID: c.SigningID, ChannelID: c.ChannelID, PayerKey: c.PayerKey,
			PerPaymentLimit: c.PerPaymentLimit, DailyLimit: c.DailyLimit,
			CodeExpiresAt: t0.Add(DefaultSMSCodeTTL),
		}
	}
	refused := func(code string) func(events.VerifySigning) events.Payload {
		return func(events.VerifySigning) events.Payload {
			return events.SigningRefused{SigningID: "S", ReasonCode: code}
		}
	}
	base := func() events.VerifySigning { return verifyCmd(alice, chanA, "S", "500.00", "800.00") }
	tests := []struct {
		name  string
		given func(b *bank)
		when  func(c *events.VerifySigning)
		then  func(c events.VerifySigning) events.Payload
	}{
		{name: "verified", then: ok},
		{name: "per-payment limit equal to daily limit", when: func(c *events.VerifySigning) { c.PerPaymentLimit = events.CNY("800.00") }, then: ok},
		{name: "another channel may sign the same account", given: signAliceA, when: func(c *events.VerifySigning) { c.ChannelID = chanB }, then: ok},
		{name: "the channel may sign again after terminating", given: func(b *bank) {
			signAliceA(b)
			b.do("terminate", terminateCmd(alice, agreementOfAliceA, chanA, "R", "h"))
		}, then: ok},
		{name: "account_not_found: no account under the payer key", when: func(c *events.VerifySigning) {
			c.PayerKey, c.PayerAccount = nobody.key, nobody.account
		}, then: refused(events.ReasonAccountNotFound)},
		{name: "account_not_found: account number differs", when: func(c *events.VerifySigning) { c.PayerAccount = nobody.account }, then: refused(events.ReasonAccountNotFound)},
		{name: "identity_mismatch: holder name", when: func(c *events.VerifySigning) { c.HolderName = "张 三" }, then: refused(events.ReasonIdentityMismatch)},
		{name: "identity_mismatch: ID number", when: func(c *events.VerifySigning) { c.IDNumber = carol.idNumber }, then: refused(events.ReasonIdentityMismatch)},
		{name: "identity_mismatch: phone", when: func(c *events.VerifySigning) { c.Phone = carol.phone }, then: refused(events.ReasonIdentityMismatch)},
		{name: "agreement_exists", given: signAliceA, then: refused(events.ReasonAgreementExists)},
		{name: "limits_invalid: per payment above daily", when: func(c *events.VerifySigning) { c.PerPaymentLimit = events.CNY("800.01") }, then: refused(events.ReasonLimitsInvalid)},
		{name: "limits_invalid: zero per payment", when: func(c *events.VerifySigning) { c.PerPaymentLimit = events.CNY("0.00") }, then: refused(events.ReasonLimitsInvalid)},
		{name: "limits_invalid: negative daily", when: func(c *events.VerifySigning) { c.DailyLimit = events.CNY("-1.00") }, then: refused(events.ReasonLimitsInvalid)},
		// Precedence.
		{name: "account_not_found before identity_mismatch", when: func(c *events.VerifySigning) {
			c.PayerKey, c.PayerAccount, c.HolderName = nobody.key, nobody.account, "x"
		}, then: refused(events.ReasonAccountNotFound)},
		{name: "identity_mismatch before agreement_exists", given: signAliceA, when: func(c *events.VerifySigning) { c.Phone = "x" }, then: refused(events.ReasonIdentityMismatch)},
		{name: "agreement_exists before limits_invalid", given: signAliceA, when: func(c *events.VerifySigning) { c.PerPaymentLimit = events.CNY("0.00") }, then: refused(events.ReasonAgreementExists)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBank(t)
			b.open(alice, "1000.00")
			b.open(carol, "50.00")
			if tt.given != nil {
				tt.given(b)
			}
			c := base()
			if tt.when != nil {
				tt.when(&c)
			}
			out := b.do("verify S", c)
			answered(t, out, "S", tt.then(c))
		})
	}
}

var agreementOfAliceA = func() string { return agreementNo(alice, "sign-alice-a") }()

func signAliceA(b *bank) { b.sign(alice, chanA, "sign-alice-a", "100.00", "200.00") }
