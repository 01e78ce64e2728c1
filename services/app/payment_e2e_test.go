package app_test

import (
	"testing"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/app"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/channel"
)

const chanID = "Z2004944000010"

// TestFinalStatuses drives one payment to each final status through the
// real broker, with the bank-link faults that cause it, and audits the log.
func TestFinalStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		setup      func(*app.Config)
		amount     string
		wantStatus string
		wantReason string
		// wantBalance is the customer's balance after the payment
		// (opening 1000.00), as the payer bank recorded it.
		wantBalance string
	}{
		{"success", nil, "100.00", events.StatusSuccess, "", "900.00"},
		{"failure: insufficient funds", nil, "1500.00", events.StatusFailure, events.ReasonInsufficientFunds, "1000.00"},
		{"failure: reserve refuses, debit reversed", func(c *app.Config) {
			c.ClosedReserveAccounts = []string{"RSV-" + chanID}
		}, "100.00", events.StatusFailure, events.ReasonReserveAccountClosed, "1000.00"},
		{"failure: debit never reached the bank", func(c *app.Config) {
			c.PayerLink = banklink.Config{Seed: 1, TimeoutRate: 1}
		}, "100.00", events.StatusFailure, events.ReasonNotReceivedByBank, "1000.00"},
		{"presumed failure: payer reply lost, queries unknown", func(c *app.Config) {
			c.PayerLink = banklink.Config{Seed: 1, LostReplyRate: 1, QueryUnknownRate: 1}
		}, "100.00", events.StatusPresumedFailure, events.ReasonPayerLegUnknown, "900.00"},
		{"presumed success: reserve reply lost, queries unknown", func(c *app.Config) {
			c.ReserveLink = banklink.Config{Seed: 1, LostReplyRate: 1, QueryUnknownRate: 1}
		}, "100.00", events.StatusPresumedSuccess, events.ReasonReserveLegUnknown, "900.00"},
		{"success after lost reply and a status query", func(c *app.Config) {
			c.PayerLink = banklink.Config{Seed: 1, LostReplyRate: 1}
		}, "100.00", events.StatusSuccess, "", "900.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := newConfig(t, 2)
			if tt.setup != nil {
				tt.setup(&cfg)
			}
			h := startHarness(t, cfg)
			acc := h.openAccount("6222020200000000001", "1000.00")
			agreement := h.sign(chanID, acc, "2000.00", "5000.00")
			out := h.pay(chanID, agreement, tt.amount)
			if out.Status != tt.wantStatus || out.ReasonCode != tt.wantReason {
				t.Fatalf("outcome %s/%s, want %s/%s: %+v", out.Status, out.ReasonCode, tt.wantStatus, tt.wantReason, out)
			}
			if out.Amount == nil || !out.Amount.Equal(events.CNY(tt.amount)) || out.TransactionID == "" {
				t.Fatalf("outcome lacks amount or transaction ID: %+v", out)
			}
			rep := h.audit()
			if !rep.CustomerTotal.Equal(events.CNY(tt.wantBalance)) {
				t.Fatalf("customer balance %s, want %s\n%s", rep.CustomerTotal, tt.wantBalance, rep)
			}
			if rep.FinalStatuses[tt.wantStatus] != 1 || rep.Payments != 1 {
				t.Fatalf("want exactly one payment with status %s:\n%s", tt.wantStatus, rep)
			}
		})
	}
}

// TestDuplicatesAndTermination: a request delivered twice is processed
// once; a reused key with another body is rejected; a payment on a
// terminated agreement fails with agreement_terminated.
func TestDuplicatesAndTermination(t *testing.T) {
	t.Parallel()
	h := startHarness(t, newConfig(t, 3))
	acc := h.openAccount("6222020200000000002", "1000.00")
	agreement := h.sign(chanID, acc, "500.00", "800.00")

	pay := channel.Pay(chanID, "order-dup", "key-dup", agreement, events.CNY("100.00"))
	h.send(pay, pay)
	first := h.wait("order-dup", channel.Final)
	h.send(pay) // after the payment finished: the original outcome again
	reused := channel.Pay(chanID, "order-reused", "key-dup", agreement, events.CNY("200.00"))
	h.send(reused)
	rej := h.wait("order-reused", channel.Final)
	if rej.Status != events.StatusRejected || rej.ReasonCode != events.ReasonDuplicateKeyNewBody {
		t.Fatalf("reused key with a new body: %+v, want rejected duplicate_key_different_body", rej)
	}
	for _, o := range h.outcomes.Get("order-dup") {
		if o.OutcomeID != first.OutcomeID {
			t.Fatalf("order-dup got two different outcomes: %+v", h.outcomes.Get("order-dup"))
		}
	}

	over := h.pay(chanID, agreement, "600.00")
	if over.Status != events.StatusFailure || over.ReasonCode != events.ReasonOverPerPaymentLimit {
		t.Fatalf("over per-payment limit: %+v", over)
	}
	ok := h.pay(chanID, agreement, "500.00")
	daily := h.pay(chanID, agreement, "300.00") // 100 + 500 + 300 > 800
	if ok.Status != events.StatusSuccess || daily.Status != events.StatusFailure || daily.ReasonCode != events.ReasonOverDailyLimit {
		t.Fatalf("daily limit: %+v then %+v", ok, daily)
	}

	term := h.next("terminate")
	h.send(channel.Terminate(chanID, term, term, agreement))
	if out := h.wait(term, channel.Any); out.Status != events.StatusTerminated {
		t.Fatalf("terminate: %+v", out)
	}
	after := h.pay(chanID, agreement, "10.00")
	if after.Status != events.StatusFailure || after.ReasonCode != events.ReasonAgreementTerminated {
		t.Fatalf("payment on a terminated agreement: %+v", after)
	}

	bad := h.next("bad")
	if err := h.client.SendRaw(h.ctx, bad, []byte(`{"type":"pay","version":1,"channel_id":"`+chanID+`","order_id":"`+bad+`","idempotency_key":"k","body":{"agreement_no":"`+agreement+`","amount":{"amount":12.5,"currency":"CNY"}}}`)); err != nil {
		t.Fatal(err)
	}
	if out := h.wait(bad, channel.Any); out.Status != events.StatusRejected || out.ReasonCode == "" {
		t.Fatalf("float amount: %+v", out)
	}

	rep := h.audit()
	if rep.Payments != 5 || rep.FinalStatuses[events.StatusSuccess] != 2 {
		t.Fatalf("want 5 payments, 2 successful:\n%s", rep)
	}
	if !rep.CustomerTotal.Equal(events.CNY("400.00")) {
		t.Fatalf("balance %s, want 400.00", rep.CustomerTotal)
	}
}
