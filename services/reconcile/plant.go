package reconcile

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/clearing"
)

// Plant says which discrepancies to plant in a simulated statement, for
// demos and tests of reconciliation.
type Plant struct {
	Missing int // rows dropped: only_ours
	Extra   int // rows of transactions we never had: only_theirs
	Amount  int // amounts changed by +1.00: amount_differs
	Status  int // money said not to have moved: status_differs
	Seed    uint64
}

// Planted is one planted discrepancy.
type Planted struct {
	TxnID string
	Class string
}

// planted amount change: large enough to see, small enough to be a typo.
var plantedDelta = events.CNY("1.00")

// PlantDiscrepancies alters a statement of our batch so that reconciling
// it finds exactly the planted discrepancies on top of the ones it already
// had. Only rows that match ours are altered, each at most once, so every
// planted change makes exactly one discrepancy of its class:
//
//   - Missing drops a row;
//   - Amount adds 1.00 to a row whose status carries an amount;
//   - Status turns a row where the money moved (debited, credited) into
//     one where it did not (refused at the payer bank, not_found at the
//     reserve bank), with amount 0.00. Never the other way: a planted
//     "the bank took the money" would order a refund of money that was
//     never taken.
//   - Extra appends rows of made-up transactions (debited / credited).
//
// The choice is a pure function of the inputs and p.Seed. It fails when
// the batch has too few matching rows of a kind.
func PlantDiscrepancies(st Statement, ours []clearing.Payment, p Plant) (Statement, []Planted, error) {
	if p.Missing < 0 || p.Extra < 0 || p.Amount < 0 || p.Status < 0 {
		return Statement{}, nil, fmt.Errorf("reconcile: negative plant counts %+v", p)
	}
	matched := map[string]bool{}
	for _, l := range Compare(st.Bank, ours, st.Rows) {
		matched[l.TxnID] = l.Class == events.DiffMatchedNoDiff
	}
	var candidates []int // indexes of matching rows, in statement order
	for i, r := range st.Rows {
		if matched[r.TxnID] {
			candidates = append(candidates, i)
		}
	}
	rng := rand.New(rand.NewPCG(p.Seed, uint64(len(st.Rows))))
	rng.Shuffle(len(candidates), func(i, j int) { candidates[i], candidates[j] = candidates[j], candidates[i] })

	// Assign rows to the most demanding kinds first: a status change needs
	// money moved, an amount change an amount, a drop anything.
	kinds := []struct {
		class string
		want  int
		fits  func(Row) bool
	}{
		{events.DiffStatus, p.Status, func(r Row) bool { return moved(st.Bank, r.Status) }},
		{events.DiffAmount, p.Amount, func(r Row) bool { return carriesAmount(r.Status) }},
		{events.DiffOnlyOurs, p.Missing, func(Row) bool { return true }},
	}
	chosen := map[int]string{} // row index -> class
	for _, k := range kinds {
		got := 0
		for _, i := range candidates {
			if got == k.want {
				break
			}
			if _, taken := chosen[i]; !taken && k.fits(st.Rows[i]) {
				chosen[i] = k.class
				got++
			}
		}
		if got < k.want {
			return Statement{}, nil, fmt.Errorf("reconcile: cannot plant %d %s in the %s statement: only %d matching rows fit",
				k.want, k.class, st.Bank, got)
		}
	}

	out := Statement{Bank: st.Bank}
	var planted []Planted
	for i, r := range st.Rows {
		class, ok := chosen[i]
		switch {
		case !ok:
		case class == events.DiffOnlyOurs:
			planted = append(planted, Planted{r.TxnID, class})
			continue
		case class == events.DiffAmount:
			r.Amount, _ = r.Amount.Add(plantedDelta) // statement amounts are far below the bound
		case class == events.DiffStatus:
			r.Amount, r.Status = events.ZeroCNY(), BankRefused
			if st.Bank == events.BankReserve {
				r.Status = BankNotFound
			}
		}
		if ok {
			planted = append(planted, Planted{r.TxnID, class})
		}
		out.Rows = append(out.Rows, r)
	}
	status := BankDebited
	if st.Bank == events.BankReserve {
		status = BankCredited
	}
	for i := range p.Extra {
		txn := events.DeriveID("reconcile.planted", st.Bank, strconv.FormatUint(p.Seed, 10), strconv.Itoa(i))
		fen := 100 + rng.Int64N(99_900) // 1.00 to 999.99
		amount, _ := events.ParseMoney(decimal.New(fen, -2).StringFixed(2), events.CurrencyCNY.String())
		out.Rows = append(out.Rows, Row{TxnID: txn, Amount: amount, Status: status})
		planted = append(planted, Planted{txn, events.DiffOnlyTheirs})
	}
	return out, planted, nil
}
