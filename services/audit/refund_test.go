package audit

import (
	"strings"
	"testing"

	"github.com/paycore/paycore/events"
)

// paid writes a successful payment of amount from the 100.00 account.
func (b *builder) paid(txn, amount, after string) {
	b.start(txn, amount)
	b.debit(txn, amount, after, "2026-11-29")
	b.credit(txn, amount)
	b.finish(txn, events.StatusSuccess)
}

func (b *builder) refundStart(txn, id, amount string) {
	b.add(txn, events.RefundStarted{Request: events.StartRefund{RefundID: id, TxnID: txn, Amount: events.CNY(amount)}})
}

// fundReserve funds reserve account R with 100.00, all of it credited to
// its sub-account R#0.
func (b *builder) fundReserve() {
	b.add("R", events.ReserveFunded{FundingID: "f1", ReserveAccount: "R", Amount: events.CNY("100.00")})
	b.add("R#0", events.SubAccountCredited{TransferID: "f1/0", ReserveAccount: "R", SubAccount: "R#0",
		Amount: events.CNY("100.00"), BalanceAfter: events.CNY("100.00")})
}

// reserveDebit debits R#0, whose balance the builder follows.
func (b *builder) reserveDebit(txn, id, amount string) {
	after, err := b.reserve.Sub(events.CNY(amount))
	if err != nil {
		panic(err)
	}
	b.reserve = after
	b.add("R#0", events.ReserveDebited{DebitID: "d-" + id, TxnID: txn, RefundID: id, ReserveAccount: "R", SubAccount: "R#0",
		Amount: events.CNY(amount), BalanceAfter: after})
}

func (b *builder) reserveReturn(txn, id, amount string) {
	after, err := b.reserve.Add(events.CNY(amount))
	if err != nil {
		panic(err)
	}
	b.reserve = after
	b.add("R#0", events.ReserveDebitReversed{DebitID: "d-" + id, TxnID: txn, RefundID: id, SubAccount: "R#0",
		Amount: events.CNY(amount), BalanceAfter: after})
}

func (b *builder) customerCredit(txn, id, amount, after string) {
	b.add(key, events.PayerCredited{TxnID: txn, RefundID: id, Amount: events.CNY(amount), BalanceAfter: events.CNY(after)})
}

func (b *builder) refundEnd(id, status string) {
	b.add(txn, events.RefundFinished{RefundID: id, Status: status})
}

func TestAuditRefunds(t *testing.T) {
	tests := []struct {
		name string
		log  func(b *builder)
		want string // "" = clean, else a fragment of a violation
	}{
		{"partial refunds up to the original", func(b *builder) {
			b.paid(txn, "40.00", "60.00")
			b.refundStart(txn, "r1", "15.00")
			b.reserveDebit(txn, "r1", "15.00")
			b.customerCredit(txn, "r1", "15.00", "75.00")
			b.refundEnd("r1", events.StatusSuccess)
			b.refundStart(txn, "r2", "25.00")
			b.reserveDebit(txn, "r2", "25.00")
			b.customerCredit(txn, "r2", "25.00", "100.00")
			b.refundEnd("r2", events.StatusSuccess)
		}, ""},
		{"failed refund: nothing moved", func(b *builder) {
			b.paid(txn, "40.00", "60.00")
			b.refundStart(txn, "r1", "15.00")
			b.add("R#0", events.ReserveDebitRefused{TxnID: txn, RefundID: "r1", ReasonCode: events.ReasonReserveInsufficient})
			b.refundEnd("r1", events.StatusFailure)
		}, ""},
		{"credit refused, debit returned: failure", func(b *builder) {
			b.paid(txn, "40.00", "60.00")
			b.refundStart(txn, "r1", "15.00")
			b.reserveDebit(txn, "r1", "15.00")
			b.add(key, events.PayerCreditRefused{TxnID: txn, RefundID: "r1", ReasonCode: events.ReasonAccountNotFound})
			b.reserveReturn(txn, "r1", "15.00")
			b.refundEnd("r1", events.StatusFailure)
		}, ""},
		{"presumed success with the credit unknown is suspense, still conserved", func(b *builder) {
			b.paid(txn, "40.00", "60.00")
			b.refundStart(txn, "r1", "15.00")
			b.reserveDebit(txn, "r1", "15.00")
			b.refundEnd("r1", events.StatusPresumedSuccess)
		}, ""},
		{"refunds claimed above the original", func(b *builder) {
			b.paid(txn, "40.00", "60.00")
			for _, id := range []string{"r1", "r2", "r3"} {
				b.refundStart(txn, id, "15.00")
				b.reserveDebit(txn, id, "15.00")
				b.refundEnd(id, events.StatusPresumedSuccess)
			}
		}, "claimed refunded 45.00 exceeds the original 40.00"},
		{"refund of a failed payment", func(b *builder) {
			b.start(txn, "40.00")
			b.finish(txn, events.StatusFailure)
			b.refundStart(txn, "r1", "15.00")
			b.add("R#0", events.ReserveDebitRefused{TxnID: txn, RefundID: "r1"})
			b.refundEnd("r1", events.StatusFailure)
		}, `that was "failure" when it started`},
		{"success without the customer's credit", func(b *builder) {
			b.paid(txn, "40.00", "60.00")
			b.refundStart(txn, "r1", "15.00")
			b.reserveDebit(txn, "r1", "15.00")
			b.refundEnd("r1", events.StatusSuccess)
		}, "refund r1 success but"},
		{"customer credited by a failed refund: money made up", func(b *builder) {
			b.paid(txn, "40.00", "60.00")
			b.refundStart(txn, "r1", "15.00")
			b.customerCredit(txn, "r1", "15.00", "75.00")
			b.refundEnd("r1", events.StatusFailure)
		}, "failure but"},
		{"customer balance drift on a refund", func(b *builder) {
			b.paid(txn, "40.00", "60.00")
			b.refundStart(txn, "r1", "15.00")
			b.reserveDebit(txn, "r1", "15.00")
			b.customerCredit(txn, "r1", "15.00", "80.00")
			b.refundEnd("r1", events.StatusSuccess)
		}, "replay gives 75.00"},
		{"debited twice", func(b *builder) {
			b.paid(txn, "40.00", "60.00")
			b.refundStart(txn, "r1", "15.00")
			b.reserveDebit(txn, "r1", "15.00")
			b.reserveDebit(txn, "r1", "15.00")
			b.customerCredit(txn, "r1", "15.00", "75.00")
			b.refundEnd("r1", events.StatusSuccess)
		}, "2 reserve debits"},
		{"credited another amount", func(b *builder) {
			b.paid(txn, "40.00", "60.00")
			b.refundStart(txn, "r1", "15.00")
			b.reserveDebit(txn, "r1", "15.00")
			b.customerCredit(txn, "r1", "16.00", "76.00")
			b.refundEnd("r1", events.StatusSuccess)
		}, "customer credited 16.00, refund amount 15.00"},
		{"never finished", func(b *builder) {
			b.paid(txn, "40.00", "60.00")
			b.refundStart(txn, "r1", "15.00")
		}, "refund r1 never reached a final status"},
		{"bank legs without a refund", func(b *builder) {
			b.paid(txn, "40.00", "60.00")
			b.reserveDebit(txn, "r9", "15.00")
		}, "bank legs without a started refund"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBuilder().openAndSign("100.00", "50.00", "80.00")
			b.reserve = events.CNY("100.00")
			b.fundReserve()
			tt.log(b)
			rep := b.l.Check()
			if tt.want == "" {
				if !rep.Clean() {
					t.Fatalf("want clean, got:\n%s", rep)
				}
				if rep.Refunds == 0 {
					t.Fatal("no refund counted")
				}
				return
			}
			if rep.Clean() || !strings.Contains(strings.Join(rep.Violations, "\n"), tt.want) {
				t.Fatalf("want a violation containing %q, got:\n%s", tt.want, rep)
			}
		})
	}
}

func TestAuditReserveSubAccounts(t *testing.T) {
	tests := []struct {
		name string
		log  func(b *builder)
		want string
	}{
		{"borrowed between sub-accounts and returned", func(b *builder) {
			b.add("R#1", events.SubAccountLent{BorrowID: "b1", ReserveAccount: "R", SubAccount: "R#0", Requester: "R#1",
				Amount: events.CNY("30.00"), BalanceAfter: events.CNY("70.00")})
			b.add("R#1", events.BorrowReturned{BorrowID: "b1", ReserveAccount: "R", SubAccount: "R#1",
				Amount: events.CNY("30.00"), BalanceAfter: events.CNY("30.00")})
		}, ""},
		{"lent but never returned", func(b *builder) {
			b.add("R#1", events.SubAccountLent{BorrowID: "b1", ReserveAccount: "R", SubAccount: "R#0", Requester: "R#1",
				Amount: events.CNY("30.00"), BalanceAfter: events.CNY("70.00")})
		}, "30.00 lent between sub-accounts, 0.00 returned"},
		{"a sub-account below zero", func(b *builder) {
			b.paid(txn, "40.00", "60.00")
			b.refundStart(txn, "r1", "40.00")
			b.add("R#3", events.ReserveDebited{DebitID: "d1", TxnID: txn, RefundID: "r1", ReserveAccount: "R", SubAccount: "R#3",
				Amount: events.CNY("40.00"), BalanceAfter: events.CNY("-40.00")})
			b.customerCredit(txn, "r1", "40.00", "100.00")
			b.refundEnd("r1", events.StatusSuccess)
		}, "below zero"},
		{"a share credited twice", func(b *builder) {
			b.add("R#0", events.SubAccountCredited{TransferID: "f1/0", ReserveAccount: "R", SubAccount: "R#0",
				Amount: events.CNY("100.00"), BalanceAfter: events.CNY("200.00")})
		}, "credited twice"},
		{"a reversal of another amount", func(b *builder) {
			b.paid(txn, "40.00", "60.00")
			b.refundStart(txn, "r1", "15.00")
			b.reserveDebit(txn, "r1", "15.00")
			b.add(key, events.PayerCreditRefused{TxnID: txn, RefundID: "r1", ReasonCode: events.ReasonAccountNotFound})
			b.reserveReturn(txn, "r1", "16.00")
			b.refundEnd("r1", events.StatusFailure)
		}, "reversed as 16.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBuilder().openAndSign("100.00", "50.00", "80.00")
			b.reserve = events.CNY("100.00")
			b.fundReserve()
			tt.log(b)
			rep := b.l.Check()
			if tt.want == "" {
				if !rep.Clean() || !rep.ReserveHeld.Equal(events.CNY("100.00")) {
					t.Fatalf("want clean with 100.00 held, got:\n%s", rep)
				}
				return
			}
			if rep.Clean() || !strings.Contains(strings.Join(rep.Violations, "\n"), tt.want) {
				t.Fatalf("want a violation containing %q, got:\n%s", tt.want, rep)
			}
		})
	}
}
