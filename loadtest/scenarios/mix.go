package scenarios

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/bankadmin"
)

// Population is who pays: institutions (channels, each crediting its own
// reserve account), the banks that issued the customers' cards, and the
// customers, a few of them hot.
type Population struct {
	// Institutions are channels LT00, LT01, ...; institution i credits
	// reserve account RSV-LTii (the intake's default mapping).
	Institutions int
	// Dominant is institution 0's share of the traffic: the one dominant
	// reserve account of a Double-11 (one wallet takes most of the day).
	// 0 spreads traffic evenly; 1 sends everything to it.
	Dominant float64
	// Customers are signed before the run, spread over the institutions in
	// proportion to their traffic.
	Customers int
	// HotFraction of each institution's customers are hot; they make
	// HotShare of its payments (a few big buyers, live-stream sellers).
	HotFraction, HotShare float64
	// Banks issue the customers' cards. The simulated payer bank serves
	// every BIN; the bank only shapes the account numbers, and so which
	// payer-bank partition a customer's key lands on.
	Banks []Bank
}

// Bank is a card issuer: card numbers start with BIN; Weight is its share
// of the customers.
type Bank struct {
	Name, BIN string
	Weight    float64
}

// DefaultBanks is a rough split of Chinese debit cards by issuer.
var DefaultBanks = []Bank{
	{"ICBC", "622202", 30}, {"CCB", "621700", 25}, {"ABC", "622848", 20}, {"BOC", "621661", 15}, {"CMB", "622588", 10},
}

// Mix weighs the request kinds of a stream.
type Mix struct{ Sign, Pay, Refund float64 }

// DefaultMix is mostly payments, some refunds, a trickle of new customers.
var DefaultMix = Mix{Sign: 1, Pay: 89, Refund: 10}

// Channel returns institution i's channel ID.
func Channel(i int) string { return fmt.Sprintf("LT%02d", i) }

// ReserveAccount returns institution i's reserve account.
func ReserveAccount(i int) string { return "RSV-" + Channel(i) }

// Validate reports a population that cannot be drawn from.
func (p Population) Validate() error {
	switch {
	case p.Institutions < 1 || p.Institutions > 100:
		return fmt.Errorf("scenarios: %d institutions, want 1..100", p.Institutions)
	case p.Customers < p.Institutions:
		return fmt.Errorf("scenarios: %d customers for %d institutions, want at least one each", p.Customers, p.Institutions)
	case p.Dominant < 0 || p.Dominant > 1 || p.HotFraction < 0 || p.HotFraction > 1 || p.HotShare < 0 || p.HotShare > 1:
		return fmt.Errorf("scenarios: shares outside [0, 1]: dominant %v, hot fraction %v, hot share %v", p.Dominant, p.HotFraction, p.HotShare)
	case len(p.Banks) == 0:
		return fmt.Errorf("scenarios: no banks")
	}
	return nil
}

// weights returns each institution's share of the traffic.
func (p Population) weights() []float64 {
	w := make([]float64, p.Institutions)
	if p.Institutions == 1 {
		w[0] = 1
		return w
	}
	d := p.Dominant
	if d == 0 {
		d = 1 / float64(p.Institutions)
	}
	w[0] = d
	for i := 1; i < len(w); i++ {
		w[i] = (1 - d) / float64(p.Institutions-1)
	}
	return w
}

// Customer is one customer of the population.
type Customer struct {
	Institution int
	Hot         bool
	Account     bankadmin.Account
}

// Accounts returns n accounts numbered from first (so that customers and
// the newcomers signing during a run never share a card number), their
// banks drawn from the bank weights of seed.
func (p Population) Accounts(seed uint64, first, n int) []bankadmin.Account {
	rng := rand.New(rand.NewPCG(seed, uint64(first)))
	bankW := make([]float64, len(p.Banks))
	for i, b := range p.Banks {
		bankW[i] = b.Weight
	}
	out := make([]bankadmin.Account, n)
	for i := range out {
		k := first + i
		b := p.Banks[pick(rng, bankW)]
		out[i] = bankadmin.Account{
			Number: fmt.Sprintf("%s%013d", b.BIN, k), HolderName: fmt.Sprintf("Load %s %d", b.Name, k),
			IDNumber: fmt.Sprintf("1101051990%07dX", k), Phone: fmt.Sprintf("139%08d", k),
			OpeningBalance: events.CNY(OpeningBalance),
		}
	}
	return out
}

// OpeningBalance is every customer's balance: far above what a run
// debits, so no payment fails for funds and every run does the same work.
const OpeningBalance = "100000000.00"

// Roster returns the population's customers: institution i gets its
// share of them (at least one), the first HotFraction of each
// institution's customers (at least one when HotFraction > 0) are hot.
func (p Population) Roster(seed uint64) []Customer {
	w := p.weights()
	counts := make([]int, p.Institutions)
	rest := p.Customers
	for i := 1; i < len(counts); i++ {
		counts[i] = max(1, int(math.Round(w[i]*float64(p.Customers))))
		rest -= counts[i]
	}
	counts[0] = max(1, rest)
	total := 0
	for _, c := range counts {
		total += c
	}
	accts := p.Accounts(seed, 0, total)
	out := make([]Customer, 0, total)
	for inst, c := range counts {
		hot := 0
		if p.HotFraction > 0 {
			hot = max(1, int(math.Ceil(p.HotFraction*float64(c))))
		}
		for j := 0; j < c; j++ {
			out = append(out, Customer{Institution: inst, Hot: j < hot, Account: accts[len(out)]})
		}
	}
	return out
}

// Draw is one request of the stream, before it meets the run's state:
// a payment of Amount by Customer at Institution, a refund of a paid
// payment (Permille/1000 of its amount), or a signing of a new customer
// at Institution.
type Draw struct {
	Kind        Kind
	Institution int
	Customer    int // index into the customers; payments only
	Amount      events.Money
	Permille    int64  // refunds only: 1000 refunds the whole payment
	Pick        uint64 // refunds: which refundable payment (the runner reduces it)
}

// Generator draws the stream of one seed. Not safe for concurrent use.
type Generator struct {
	rng   *rand.Rand
	mix   []float64
	instW []float64
	hot   float64
	// per institution: indices of its hot and of all its customers
	hotOf, allOf [][]int
}

// NewGenerator draws from customers (as Population.Customers returned
// them) with mix and p's traffic shares.
func NewGenerator(seed uint64, p Population, m Mix, customers []Customer) *Generator {
	g := &Generator{
		rng: rand.New(rand.NewPCG(seed, 5)), mix: []float64{m.Sign, m.Pay, m.Refund}, instW: p.weights(), hot: p.HotShare,
		hotOf: make([][]int, p.Institutions), allOf: make([][]int, p.Institutions),
	}
	for i, c := range customers {
		g.Add(c.Institution, i, c.Hot)
	}
	return g
}

// Add makes customer index a payer of institution inst (a newcomer whose
// signing succeeded during the run joins the stream this way).
func (g *Generator) Add(inst, index int, hot bool) {
	g.allOf[inst] = append(g.allOf[inst], index)
	if hot {
		g.hotOf[inst] = append(g.hotOf[inst], index)
	}
}

// Next draws the next request.
func (g *Generator) Next() Draw {
	kind := []Kind{KindSign, KindPay, KindRefund}[pick(g.rng, g.mix)]
	inst := pick(g.rng, g.instW)
	fen := 100 + g.rng.Int64N(9900) // 1.00 .. 99.99, as loadtest/workload
	d := Draw{Kind: kind, Institution: inst, Amount: cny(fen), Pick: g.rng.Uint64()}
	switch kind {
	case KindPay:
		d.Customer = g.Payer(inst)
	case KindRefund:
		// Half of the refunds return the whole payment, the others a part.
		d.Permille = 1000
		if g.rng.IntN(2) == 0 {
			d.Permille = 100 + g.rng.Int64N(800)
		}
	}
	return d
}

// RefundOf returns permille/1000 of paid, rounded down to the fen, at
// least 0.01.
func RefundOf(paid events.Money, permille int64) events.Money {
	return cny(max(paid.MinorUnits()*permille/1000, 1))
}

func cny(fen int64) events.Money { return events.CNY(fmt.Sprintf("%d.%02d", fen/100, fen%100)) }

// Payer draws a paying customer of institution inst: a hot one with
// probability HotShare.
func (g *Generator) Payer(inst int) int {
	pool := g.allOf[inst]
	if len(g.hotOf[inst]) > 0 && g.rng.Float64() < g.hot {
		pool = g.hotOf[inst]
	}
	return pool[g.rng.IntN(len(pool))]
}

// pick returns an index drawn with probability proportional to w.
func pick(rng *rand.Rand, w []float64) int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	r := rng.Float64() * total
	for i, x := range w {
		if r < x {
			return i
		}
		r -= x
	}
	for i := len(w) - 1; i >= 0; i-- {
		if w[i] > 0 {
			return i
		}
	}
	return 0
}
