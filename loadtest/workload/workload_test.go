package workload

import (
	"math/rand/v2"
	"testing"

	"github.com/paycore/paycore/events"
)

// TestStreamIsTheSagaRunsHistoricStream pins the draw order (amount in
// fen, then payer) so saga figures measured before this package existed
// stay comparable with later ones.
func TestStreamIsTheSagaRunsHistoricStream(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 3))
	for i, p := range Payments(42, 200, 1000) {
		fen := 100 + rng.IntN(9900)
		customer := rng.IntN(200)
		if p.Amount.MinorUnits() != int64(fen) || p.Customer != customer {
			t.Fatalf("payment %d = %d fen from %d, want %d fen from %d", i, p.Amount.MinorUnits(), p.Customer, fen, customer)
		}
	}
}

func TestPaymentsStayInRangeAndRepeat(t *testing.T) {
	a, b := Payments(1, 3, 5000), Payments(1, 3, 5000)
	lo, hi := events.CNY("1.00"), events.CNY("99.99")
	seen := map[int]bool{}
	for i := range a {
		if a[i].Customer != b[i].Customer || !a[i].Amount.Equal(b[i].Amount) {
			t.Fatalf("payment %d differs between two streams of one seed", i)
		}
		if a[i].Amount.Cmp(lo) < 0 || a[i].Amount.Cmp(hi) > 0 || a[i].Customer < 0 || a[i].Customer >= 3 {
			t.Fatalf("payment %d out of range: %+v", i, a[i])
		}
		seen[a[i].Customer] = true
	}
	if len(seen) != 3 {
		t.Errorf("payers drawn: %v, want all 3", seen)
	}
	other, same := Payments(2, 3, 10), 0
	for i := range other {
		if other[i].Customer == a[i].Customer && other[i].Amount.Equal(a[i].Amount) {
			same++
		}
	}
	if same == len(other) {
		t.Error("seeds 1 and 2 start with the same payments")
	}
}

func TestTotal(t *testing.T) {
	ps := []Payment{{Amount: events.CNY("1.10")}, {Amount: events.CNY("2.25")}}
	if got := Total(ps); !got.Equal(events.CNY("3.35")) {
		t.Errorf("Total = %s, want 3.35", got)
	}
	if got := Total(nil); !got.Equal(events.ZeroCNY()) {
		t.Errorf("Total(nil) = %s, want 0.00", got)
	}
}
