// Package workload is the payment stream every payment benchmark replays:
// paycore's saga run and the peer baselines (loadtest/peers) draw the same
// payers and amounts from the same seed, so a ratio between them compares
// systems, not workloads.
package workload

import (
	"fmt"
	"math/rand/v2"

	"github.com/paycore/paycore/events"
)

// OpeningBalance is every customer's balance before a run: far above what
// any run debits, so no payment is refused for funds and every system
// under test does the same work (debit, credit, record).
const OpeningBalance = "100000000.00"

// Payment is one payment of the stream: customer Customer (an index into
// the run's customers) pays Amount to the run's single reserve account.
type Payment struct {
	Customer int
	Amount   events.Money
}

// Generator yields the payments of one seed in order. It is not safe for
// concurrent use.
type Generator struct {
	rng       *rand.Rand
	customers int
}

// New returns the generator of seed over customers customers (≥ 1).
func New(seed uint64, customers int) *Generator {
	if customers < 1 {
		panic(fmt.Sprintf("workload: %d customers", customers))
	}
	return &Generator{rng: rand.New(rand.NewPCG(seed, 3)), customers: customers}
}

// Next returns the next payment: an amount uniform in 1.00..99.99 CNY from
// a payer uniform over the customers. (The draw order, amount then payer,
// is the one loadtest/sagas always used, so earlier saga figures were
// measured on this very stream.)
func (g *Generator) Next() Payment {
	fen := 100 + g.rng.IntN(9900)
	return Payment{
		Amount:   events.CNY(fmt.Sprintf("%d.%02d", fen/100, fen%100)),
		Customer: g.rng.IntN(g.customers),
	}
}

// Payments returns the first n payments of seed over customers customers.
func Payments(seed uint64, customers, n int) []Payment {
	g := New(seed, customers)
	out := make([]Payment, n)
	for i := range out {
		out[i] = g.Next()
	}
	return out
}

// Total sums the amounts of ps: what a run must have moved from the
// customers to the reserve account.
func Total(ps []Payment) events.Money {
	total := events.ZeroCNY()
	for _, p := range ps {
		sum, err := total.Add(p.Amount)
		if err != nil {
			panic("workload: total: " + err.Error())
		}
		total = sum
	}
	return total
}
