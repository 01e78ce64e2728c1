package payerbank

import (
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/payerkey"
)

func TestDebitPayer(t *testing.T) {
	refused := func(code string) events.Payload {
		return events.PayerDebitRefused{TxnID: "T", ReasonCode: code}
	}
	tests := []struct {
		name  string
		given func(w *world)
		when  func(w *world) events.DebitPayer
		then  func(w *world) events.Payload
		// balances after, of alice and carol
		alice, carol string
	}{
		{
			name: "debited",
			when: func(w *world) events.DebitPayer { return w.debit("T", "100.00") },
			then: func(w *world) events.Payload {
				return events.PayerDebited{TxnID: "T", AgreementNo: w.agr, Amount: events.CNY("100.00"), BalanceAfter: events.CNY("900.00"), Day: "2024-03-01"}
			},
			alice: "900.00", carol: "50.00",
		},
		{
			name: "debited to exactly zero",
			when: func(w *world) events.DebitPayer { return debitCmd(carol, w.carolAgr, chanA, "T", "50.00") },
			then: func(w *world) events.Payload {
				return events.PayerDebited{TxnID: "T", AgreementNo: w.carolAgr, Amount: events.CNY("50.00"), BalanceAfter: events.CNY("0.00"), Day: "2024-03-01"}
			},
			alice: "1000.00", carol: "0.00",
		},
		{
			name:  "amount_not_positive",
			when:  func(w *world) events.DebitPayer { return w.debit("T", "0.00") },
			then:  func(*world) events.Payload { return refused(events.CodeAmountNotPositive) },
			alice: "1000.00", carol: "50.00",
		},
		{
			name: "agreement_not_found: never signed",
			when: func(w *world) events.DebitPayer {
				return debitCmd(alice, payerkey.AgreementNo(alice.key, "never-signed"), chanA, "T", "10.00")
			},
			then:  func(*world) events.Payload { return refused(events.ReasonAgreementNotFound) },
			alice: "1000.00", carol: "50.00",
		},
		{
			name:  "agreement_not_found: another customer's agreement",
			when:  func(w *world) events.DebitPayer { return debitCmd(alice, w.carolAgr, chanA, "T", "10.00") },
			then:  func(*world) events.Payload { return refused(events.ReasonAgreementNotFound) },
			alice: "1000.00", carol: "50.00",
		},
		{
			name:  "agreement_other_channel",
			when:  func(w *world) events.DebitPayer { return debitCmd(alice, w.agr, chanB, "T", "10.00") },
			then:  func(*world) events.Payload { return refused(events.ReasonAgreementOtherChan) },
			alice: "1000.00", carol: "50.00",
		},
		{
			name:  "agreement_terminated",
			given: func(w *world) { w.do("terminate", terminateCmd(alice, w.agr, chanA, "R", "h")) },
			when:  func(w *world) events.DebitPayer { return w.debit("T", "10.00") },
			then:  func(*world) events.Payload { return refused(events.ReasonAgreementTerminated) },
			alice: "1000.00", carol: "50.00",
		},
		{
			name:  "per-payment limit is inclusive",
			when:  func(w *world) events.DebitPayer { return w.debit("T", "500.00") },
			then:  func(w *world) events.Payload { return debited(w.agr, "500.00", "500.00") },
			alice: "500.00", carol: "50.00",
		},
		{
			name:  "over_per_payment_limit",
			when:  func(w *world) events.DebitPayer { return w.debit("T", "500.01") },
			then:  func(*world) events.Payload { return refused(events.ReasonOverPerPaymentLimit) },
			alice: "1000.00", carol: "50.00",
		},
		{
			name:  "daily limit is inclusive",
			given: func(w *world) { w.do("T0", w.debit("T0", "500.00")) },
			when:  func(w *world) events.DebitPayer { return w.debit("T", "300.00") },
			then:  func(w *world) events.Payload { return debited(w.agr, "300.00", "200.00") },
			alice: "200.00", carol: "50.00",
		},
		{
			name:  "over_daily_limit",
			given: func(w *world) { w.do("T0", w.debit("T0", "500.00")) },
			when:  func(w *world) events.DebitPayer { return w.debit("T", "300.01") },
			then:  func(*world) events.Payload { return refused(events.ReasonOverDailyLimit) },
			alice: "500.00", carol: "50.00",
		},
		{
			name:  "a refused debit does not count against the day",
			given: func(w *world) { w.do("T0", w.debit("T0", "500.00")); w.do("T1", w.debit("T1", "300.01")) },
			when:  func(w *world) events.DebitPayer { return w.debit("T", "300.00") },
			then:  func(w *world) events.Payload { return debited(w.agr, "300.00", "200.00") },
			alice: "200.00", carol: "50.00",
		},
		{
			name:  "insufficient_funds",
			when:  func(w *world) events.DebitPayer { return debitCmd(carol, w.carolAgr, chanA, "T", "50.01") },
			then:  func(*world) events.Payload { return refused(events.ReasonInsufficientFunds) },
			alice: "1000.00", carol: "50.00",
		},
		// Precedence: the first failed check in the documented order wins.
		{
			name:  "amount_not_positive before agreement_not_found",
			when:  func(w *world) events.DebitPayer { return debitCmd(alice, "NU-nothing", chanA, "T", "0.00") },
			then:  func(*world) events.Payload { return refused(events.CodeAmountNotPositive) },
			alice: "1000.00", carol: "50.00",
		},
		{
			name:  "agreement_other_channel before agreement_terminated",
			given: func(w *world) { w.do("terminate", terminateCmd(alice, w.agr, chanA, "R", "h")) },
			when:  func(w *world) events.DebitPayer { return debitCmd(alice, w.agr, chanB, "T", "10.00") },
			then:  func(*world) events.Payload { return refused(events.ReasonAgreementOtherChan) },
			alice: "1000.00", carol: "50.00",
		},
		{
			name:  "agreement_terminated before over_per_payment_limit",
			given: func(w *world) { w.do("terminate", terminateCmd(alice, w.agr, chanA, "R", "h")) },
			when:  func(w *world) events.DebitPayer { return w.debit("T", "900.00") },
			then:  func(*world) events.Payload { return refused(events.ReasonAgreementTerminated) },
			alice: "1000.00", carol: "50.00",
		},
		{
			name:  "over_per_payment_limit before insufficient_funds",
			when:  func(w *world) events.DebitPayer { return debitCmd(carol, w.carolAgr, chanA, "T", "600.00") },
			then:  func(*world) events.Payload { return refused(events.ReasonOverPerPaymentLimit) },
			alice: "1000.00", carol: "50.00",
		},
		{
			name:  "over_daily_limit before insufficient_funds",
			given: func(w *world) { w.do("T0", w.debit("T0", "500.00")); w.do("T1", w.debit("T1", "300.00")) },
			when:  func(w *world) events.DebitPayer { return w.debit("T", "250.00") },
			then:  func(*world) events.Payload { return refused(events.ReasonOverDailyLimit) },
			alice: "200.00", carol: "50.00",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			if tt.given != nil {
				tt.given(w)
			}
			out := w.do("debit T", tt.when(w))
			answered(t, out, "T", tt.then(w))
			if got := w.balance(alice); got != tt.alice {
				t.Errorf("alice's balance %s, want %s", got, tt.alice)
			}
			if got := w.balance(carol); got != tt.carol {
				t.Errorf("carol's balance %s, want %s", got, tt.carol)
			}
		})
	}
}

// debited is alice's debit T of amount leaving after.
func debited(agr, amount, after string) events.Payload {
	return events.PayerDebited{TxnID: "T", AgreementNo: agr, Amount: events.CNY(amount), BalanceAfter: events.CNY(after), Day: "2024-03-01"}
}

// The daily limit is per Beijing calendar day: 15:59:59Z is 23:59:59 in
// Beijing, 16:00:00Z is the next day.
func TestDailyLimitResetsAtBeijingMidnight(t *testing.T) {
	w := newWorld(t)
	lastSecond := time.Date(2024, 3, 1, 15, 59, 59, 0, time.UTC)
	midnight := time.Date(2024, 3, 1, 16, 0, 0, 0, time.UTC)

	w.at(lastSecond).do("T1", w.debit("T1", "500.00"))
	out := w.at(lastSecond).do("T2", w.debit("T2", "400.00"))
	recorded(t, out, events.PayerDebitRefused{TxnID: "T2", ReasonCode: events.ReasonOverDailyLimit})

	out = w.at(midnight).do("T3", w.debit("T3", "400.00"))
	recorded(t, out, events.PayerDebited{TxnID: "T3", AgreementNo: w.agr, Amount: events.CNY("400.00"), BalanceAfter: events.CNY("100.00"), Day: "2024-03-02"})

	for day, want := range map[string]string{"2024-03-01": "500.00", "2024-03-02": "400.00"} {
		if got := w.h.DailyUsage(w.agr, day).String(); got != want {
			t.Errorf("usage on %s is %s, want %s", day, got, want)
		}
	}
}

// A reversal gives the amount back to the day of its debit, so the customer
// can pay again that day; it never credits another day.
func TestReversalRestoresDailyUsage(t *testing.T) {
	w := newWorld(t)
	w.do("T1", w.debit("T1", "500.00"))
	w.do("T2", w.debit("T2", "300.00"))
	out := w.do("T3", w.debit("T3", "100.00"))
	recorded(t, out, events.PayerDebitRefused{TxnID: "T3", ReasonCode: events.ReasonOverDailyLimit})

	w.do("reverse T1", events.ReverseDebit{TxnID: "T1", PayerKey: alice.key, Attempt: 1})
	if got := w.h.DailyUsage(w.agr, "2024-03-01").String(); got != "300.00" {
		t.Fatalf("usage after reversal %s, want 300.00", got)
	}
	out = w.do("T4", w.debit("T4", "100.00"))
	recorded(t, out, events.PayerDebited{TxnID: "T4", AgreementNo: w.agr, Amount: events.CNY("100.00"), BalanceAfter: events.CNY("600.00"), Day: "2024-03-01"})

	// Reversed the next day: the debit's day gets it back, not today.
	w.at(t0.Add(24*time.Hour)).do("T5", w.debit("T5", "200.00"))
	w.do("reverse T2", events.ReverseDebit{TxnID: "T2", PayerKey: alice.key, Attempt: 1})
	for day, want := range map[string]string{"2024-03-01": "100.00", "2024-03-02": "200.00"} {
		if got := w.h.DailyUsage(w.agr, day).String(); got != want {
			t.Errorf("usage on %s is %s, want %s", day, got, want)
		}
	}
	if got := w.balance(alice); got != "700.00" {
		t.Errorf("balance %s, want 700.00", got)
	}
}

// Usage is kept for the newest day and the two before it; a reversal of a
// debit whose day was forgotten still returns the money.
func TestDailyUsageIsBounded(t *testing.T) {
	w := newWorld(t)
	for i, txn := range []string{"D0", "D1", "D2", "D3"} {
		w.at(t0.AddDate(0, 0, i)).do(txn, w.debit(txn, "10.00"))
	}
	for day, want := range map[string]string{"2024-03-01": "0.00", "2024-03-02": "10.00", "2024-03-03": "10.00", "2024-03-04": "10.00"} {
		if got := w.h.DailyUsage(w.agr, day).String(); got != want {
			t.Errorf("usage on %s is %s, want %s", day, got, want)
		}
	}
	w.do("reverse D0", events.ReverseDebit{TxnID: "D0", PayerKey: alice.key, Attempt: 1})
	if got := w.balance(alice); got != "970.00" {
		t.Errorf("balance %s, want 970.00", got)
	}
}
