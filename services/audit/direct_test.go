package audit

import (
	"strings"
	"testing"

	"github.com/paycore/paycore/events"
)

func TestAuditDirectLink(t *testing.T) {
	debit := func(b *builder, amount, after string) {
		b.add(key, events.DirectDebited{TxnID: "d1", AgreementNo: no, Amount: events.CNY(amount), BalanceAfter: events.CNY(after), Day: "2026-11-29"})
	}
	refund := func(b *builder, id, amount, after string) {
		b.add(key, events.DirectRefundCredited{RefundID: id, TxnID: "d1", Amount: events.CNY(amount), BalanceAfter: events.CNY(after)})
	}
	tests := []struct {
		name string
		log  func(b *builder)
		want string
	}{
		{"direct payment and a partial legacy refund: conserved", func(b *builder) {
			debit(b, "40.00", "60.00")
			refund(b, "lr1", "15.00", "75.00")
		}, ""},
		{"legacy refunds above the direct payment", func(b *builder) {
			debit(b, "40.00", "60.00")
			refund(b, "lr1", "30.00", "90.00")
			refund(b, "lr2", "20.00", "110.00")
		}, "legacy refunds 50.00 exceed the original 40.00"},
		{"direct debit beyond the balance", func(b *builder) {
			debit(b, "40.00", "60.00")
			debit(b, "45.00", "15.00")
			debit(b, "45.00", "-30.00")
		}, "below zero"},
		{"direct debits share the daily limit", func(b *builder) {
			b.start(txn, "50.00")
			b.debit(txn, "50.00", "50.00", "2026-11-29")
			b.credit(txn, "50.00")
			b.finish(txn, events.StatusSuccess)
			debit(b, "40.00", "10.00")
		}, "daily limit"},
		{"balance drift on a legacy refund", func(b *builder) {
			debit(b, "40.00", "60.00")
			refund(b, "lr1", "15.00", "70.00")
		}, "replay gives 75.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBuilder().openAndSign("100.00", "50.00", "80.00")
			tt.log(b)
			rep := b.l.Check()
			if tt.want == "" {
				if !rep.Clean() || !rep.DirectPaid.Equal(events.CNY("40.00")) {
					t.Fatalf("want clean with 40.00 paid over the direct link, got:\n%s", rep)
				}
				return
			}
			if rep.Clean() || !strings.Contains(strings.Join(rep.Violations, "\n"), tt.want) {
				t.Fatalf("want a violation containing %q, got:\n%s", tt.want, rep)
			}
		})
	}
}
