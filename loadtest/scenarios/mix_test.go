package scenarios

import (
	"math"
	"testing"

	"github.com/paycore/paycore/events"
)

func TestGeneratorDrawsTheConfiguredShares(t *testing.T) {
	p := Population{Institutions: 5, Dominant: 0.6, Customers: 500, HotFraction: 0.02, HotShare: 0.3, Banks: DefaultBanks}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	roster := p.Roster(3)
	if len(roster) != 500 {
		t.Fatalf("%d customers, want 500", len(roster))
	}
	seen := map[string]bool{}
	for _, c := range roster {
		if seen[c.Account.Number] {
			t.Fatalf("card number %s given twice", c.Account.Number)
		}
		seen[c.Account.Number] = true
	}
	g := NewGenerator(3, p, DefaultMix, roster)
	const n = 100000
	kinds := map[Kind]int{}
	inst0, hotPays, pays := 0, 0, 0
	lo, hi := events.CNY("1.00"), events.CNY("99.99")
	for range n {
		d := g.Next()
		kinds[d.Kind]++
		if d.Institution == 0 {
			inst0++
		}
		if d.Amount.Cmp(lo) < 0 || d.Amount.Cmp(hi) > 0 {
			t.Fatalf("amount %s outside 1.00..99.99", d.Amount)
		}
		switch d.Kind {
		case KindPay:
			pays++
			c := roster[d.Customer]
			if c.Institution != d.Institution {
				t.Fatalf("customer of institution %d pays at %d: agreements belong to one channel", c.Institution, d.Institution)
			}
			if c.Hot {
				hotPays++
			}
		case KindRefund:
			if d.Permille < 100 || d.Permille > 1000 {
				t.Fatalf("refund of %d permille", d.Permille)
			}
		}
	}
	near := func(what string, got, want float64) {
		if math.Abs(got-want) > 0.01 {
			t.Errorf("%s: %.3f, want %.3f", what, got, want)
		}
	}
	near("dominant institution's share", float64(inst0)/n, 0.6)
	near("payments", float64(kinds[KindPay])/n, 0.89)
	near("refunds", float64(kinds[KindRefund])/n, 0.10)
	// Hot customers: 30 % by choice, plus their share of the uniform draw.
	if share := float64(hotPays) / float64(pays); share < 0.3 || share > 0.34 {
		t.Errorf("hot customers made %.3f of the payments, want 0.30 plus a little", share)
	}
	a, b := NewGenerator(3, p, DefaultMix, roster), NewGenerator(3, p, DefaultMix, p.Roster(3))
	for i := range 100 {
		x, y := a.Next(), b.Next()
		if x.Kind != y.Kind || x.Institution != y.Institution || x.Customer != y.Customer || !x.Amount.Equal(y.Amount) || x.Pick != y.Pick {
			t.Fatalf("draw %d differs between two generators of one seed: %+v, %+v", i, x, y)
		}
	}
}

func TestAllOnOneReserveAccount(t *testing.T) {
	p := Population{Institutions: 8, Dominant: 1, Customers: 100, Banks: DefaultBanks}
	g := NewGenerator(1, p, Mix{Pay: 1}, p.Roster(1))
	for range 10000 {
		if d := g.Next(); d.Institution != 0 {
			t.Fatalf("drew institution %d at 100%% skew", d.Institution)
		}
	}
}

func TestRefundOf(t *testing.T) {
	for _, c := range []struct {
		paid     string
		permille int64
		want     string
	}{{"99.99", 1000, "99.99"}, {"99.99", 500, "49.99"}, {"1.00", 100, "0.10"}, {"0.05", 100, "0.01"}} {
		if got := RefundOf(events.CNY(c.paid), c.permille); !got.Equal(events.CNY(c.want)) {
			t.Errorf("RefundOf(%s, %d) = %s, want %s", c.paid, c.permille, got, c.want)
		}
	}
}
