package reconcile_test

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/projections/tables"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/clearing"
	"github.com/paycore/paycore/services/reconcile"
	"github.com/paycore/paycore/services/topology"
)

// The channels of the test. Z-CLOSED's reserve account refuses credits,
// so its payments fail with the debit reversed (or, when the credit never
// reaches the bank, end presumed_success with no credit behind them).
const (
	chAlpha  = "Z-ALPHA"
	chBeta   = "Z-BETA"
	chClosed = "Z-CLOSED"
)

// TestClearingAndReconciliation runs the whole error-handling loop on the
// real broker and ClickHouse: payments under bank-link faults (so some end
// presumed, some of those wrongly), the projector, closing the batch,
// both banks' statements with planted discrepancies of every class,
// reconciliation, a re-run that must publish nothing new, and the
// corrections the sagas carry out.
//
// The expected discrepancies are the planted ones plus those the faults
// caused, which the test works out from the banks' own event logs read
// straight from Kafka (not from ClickHouse, which the code under test
// reads): a presumed_failure whose debit did happen (reply lost), a
// presumed_success whose credit never did (request lost).
func TestClearingAndReconciliation(t *testing.T) {
	h := start(t)

	// 1. Customers, agreements, payments.
	var agreements []signedAgreement
	for i, ch := range []string{chAlpha, chAlpha, chBeta, chBeta, chClosed, chClosed} {
		acc := h.openAccount(fmt.Sprintf("62220202%011d", i+1), "5000.00")
		agreements = append(agreements, signedAgreement{ch, h.sign(ch, acc)})
	}
	var orders []string
	for i := range 36 {
		a := agreements[i%len(agreements)]
		amount := fmt.Sprintf("%d.%02d", 10+i*3, i)
		if i == 7 {
			amount = "4999.99" // more than the balance left: insufficient_funds
		}
		order := fmt.Sprintf("pay-%02d", i)
		orders = append(orders, order)
		h.send(channel.Pay(a.channel, order, order, a.agreement, events.CNY(amount)))
	}
	byTxn := map[string]events.Outcome{}
	statuses := map[string]int{}
	for _, o := range orders {
		out := h.wait(o, channel.Final)
		if out.TransactionID == "" {
			t.Fatalf("payment %s was rejected: %+v", o, out)
		}
		byTxn[out.TransactionID] = out
		statuses[out.Status]++
	}
	t.Logf("%d payments: %v (after %v)", len(orders), statuses, time.Since(h.began).Round(time.Millisecond))
	if statuses[events.StatusPresumedSuccess] == 0 || statuses[events.StatusPresumedFailure] == 0 || statuses[events.StatusFailure] == 0 {
		t.Fatalf("the faults produced no presumed_success, presumed_failure or failure (%v): change the link seeds", statuses)
	}

	// 2. Close the batch (one clearing day holds every payment; see
	// closeConfig), and again: nothing more is closed.
	closeCfg := h.closeConfig(time.Now())
	rep, err := clearing.Close(h.ctx, closeCfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Closed) != 1 || rep.AlreadyClosed != 0 {
		t.Fatalf("closed %d batches (%d already), want one: %+v", len(rep.Closed), rep.AlreadyClosed, rep)
	}
	batch := rep.Closed[0].Settlement.Closed
	if batch.Payments != len(orders) || !batch.SettledAmount.Equal(settled(byTxn)) {
		t.Fatalf("batch %s: %d payments settling %s, want %d settling %s", batch.BatchID, batch.Payments, batch.SettledAmount,
			len(orders), settled(byTxn))
	}
	for _, f := range rep.Closed[0].Files {
		if lines := strings.Count(readFile(t, f), "\n"); lines != len(orders)+1 {
			t.Errorf("%s has %d lines, want a header and %d payments", f, lines, len(orders))
		}
	}
	instructed := events.ZeroCNY()
	for _, in := range rep.Closed[0].Settlement.Instructions {
		instructed, _ = instructed.Add(in.Amount)
	}
	if !instructed.Equal(batch.SettledAmount) {
		t.Errorf("settlement instructions add up to %s, the batch settled %s", instructed, batch.SettledAmount)
	}
	again, err := clearing.Close(h.ctx, closeCfg)
	if err != nil || len(again.Closed) != 0 || again.AlreadyClosed != 1 {
		t.Fatalf("closing again: %+v, %v; want nothing closed, one already closed", again, err)
	}
	t.Logf("closed %s: %d payments, %s settled, %d instructions (after %v)", batch.BatchID, batch.Payments,
		batch.SettledAmount, len(rep.Closed[0].Settlement.Instructions), time.Since(h.began).Round(time.Millisecond))

	// 3. The banks' statements, with one planted discrepancy of each
	// class, and what the faults did, from the banks' logs.
	truth := h.bankTruth()
	plant := reconcile.Plant{Missing: 1, Extra: 1, Amount: 1, Status: 1}
	expected := map[string]map[key]string{} // bank -> (txn, class) -> action
	files := map[string]string{}
	for i, bank := range []string{events.BankPayer, events.BankReserve} {
		plant.Seed = uint64(i + 1)
		legs := h.topic(topology.PayerEvts)
		if bank == events.BankReserve {
			legs = h.topic(topology.ResEvents)
		}
		closed, ours, err := reconcile.Load(h.ctx, h.reconcileConfig(), batch.BatchID, legs)
		if err != nil {
			t.Fatal(err)
		}
		st, err := reconcile.BankStatement(h.ctx, h.conn, bank, closed, ours)
		if err != nil {
			t.Fatal(err)
		}
		st, planted, err := reconcile.PlantDiscrepancies(st, ours, plant)
		if err != nil {
			t.Fatal(err)
		}
		expected[bank] = map[key]string{}
		for txn, out := range byTxn {
			if class, action := naturalDiscrepancy(bank, out.Status, truth[bank][txn]); class != "" {
				expected[bank][key{txn, class}] = action
			}
		}
		for _, p := range planted {
			action := ""
			if p.Class == events.DiffStatus && bank == events.BankReserve && byTxn[p.TxnID].Status == events.StatusPresumedSuccess {
				action = events.ActionCreditReserve
			}
			expected[bank][key{p.TxnID, p.Class}] = action
		}
		files[bank] = filepath.Join(h.dir, batch.BatchID+"."+bank+".statement.csv")
		if err := clearing.WriteAtomically(files[bank], func(w io.Writer) error { return reconcile.WriteStatement(w, st.Rows) }); err != nil {
			t.Fatal(err)
		}
	}
	classes := map[string]int{}
	for _, exp := range expected {
		for k := range exp {
			classes[k.class]++
		}
	}
	if classes[events.DiffStatus] < 3 {
		t.Fatalf("the faults caused no status difference to correct (expected %v): change the link seeds", expected)
	}

	// 4. Reconcile both banks.
	results := map[string]reconcile.Result{}
	for _, bank := range []string{events.BankPayer, events.BankReserve} {
		res := h.reconcile(batch.BatchID, bank, files[bank])
		results[bank] = res
		found := map[key]string{}
		for _, l := range res.Discrepancies() {
			found[key{l.TxnID, l.Class}] = l.Action
		}
		if !maps.Equal(found, expected[bank]) {
			t.Errorf("%s bank: found %v\nwant %v", bank, describe(found), describe(expected[bank]))
		}
		if res.Fresh != len(found)+1 {
			t.Errorf("%s bank: %d new events on clearing.events, want %d discrepancies and the result", bank, res.Fresh, len(found))
		}
		var summary strings.Builder
		if err := res.WriteSummary(&summary); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s bank:\n%s", bank, summary.String())
	}
	first := h.clearingLog()

	// 5. Again, with the same statements: the same events, nothing new.
	for _, bank := range []string{events.BankPayer, events.BankReserve} {
		if res := h.reconcile(batch.BatchID, bank, files[bank]); res.Fresh != 0 || len(res.Recorded) != len(results[bank].Recorded) {
			t.Errorf("%s bank again: %d new of %d recorded, want 0 new of %d", bank, res.Fresh, len(res.Recorded), len(results[bank].Recorded))
		}
	}
	second := h.clearingLog()
	if second.DistinctIDs() != first.DistinctIDs() || second.Records() <= first.Records() {
		t.Errorf("clearing.events: %d distinct of %d records after the first run, %d of %d after the second; want the same distinct IDs, republished",
			first.DistinctIDs(), first.Records(), second.DistinctIDs(), second.Records())
	}

	// The projector put all of it into ClickHouse, once.
	found := len(results[events.BankPayer].Discrepancies()) + len(results[events.BankReserve].Discrepancies())
	h.waitProjected(h.topic(topology.Clearing))
	for query, want := range map[string]string{
		"SELECT toString(count()) || ' ' || toString(sum(payments)) FROM clearing_batches FINAL":           fmt.Sprintf("1 %d", len(orders)),
		"SELECT toString(sum(amount)) FROM settlement_instructions FINAL":                                  batch.SettledAmount.String(),
		"SELECT toString(count()) FROM reconciliation_discrepancies FINAL":                                 fmt.Sprint(found),
		"SELECT toString(count()) || ' ' || toString(sum(discrepancies)) FROM batch_reconciliations FINAL": fmt.Sprintf("2 %d", found),
	} {
		if got := h.queryString(query); got != want {
			t.Errorf("%s: %q, want %q", query, got, want)
		}
	}

	// A corrected statement that still differs on an amount restates the
	// recorded discrepancy instead of recording it again.
	was, now := amountRow(t, results[events.BankPayer])
	restated := strings.Replace(readFile(t, files[events.BankPayer]), was, now, 1)
	if err := os.WriteFile(files[events.BankPayer]+".v2", []byte(restated), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := h.reconcile(batch.BatchID, events.BankPayer, files[events.BankPayer]+".v2"); res.Fresh != 0 || len(res.Restated) != 1 {
		t.Errorf("restated statement: %d new events, %d restated; want 0 and 1", res.Fresh, len(res.Restated))
	}

	// 6. Corrections, when the saga handles them; then a re-run posts
	// the accounts they cleared.
	postings := results[events.BankReserve].Postings
	if h.sagaHandlesCorrections() {
		t.Logf("CAPABILITY: the saga processor handles %s; checking the corrections", events.CorrectPayment{}.EventType())
		postings = h.checkCorrections(results, files[events.BankReserve], first.DistinctIDs())
	} else {
		t.Logf("CAPABILITY: the saga processor does not handle %s (its handler refuses the type with saga.ErrUnexpectedMessage); "+
			"not checking payment.corrected or the postings that wait for it", events.CorrectPayment{}.EventType())
	}

	// 7. The summarized postings, when the reserve bank makes them.
	if h.reserveBankPostsSummaries() {
		t.Logf("CAPABILITY: the reserve bank records %s; checking the postings", events.ReserveSummaryPosted{}.EventType())
		h.checkPostings(postings)
	} else {
		t.Logf("CAPABILITY: the reserve bank does not record %s for a %s; not checking the postings",
			events.ReserveSummaryPosted{}.EventType(), events.PostReserveSummary{}.EventType())
	}
	t.Logf("done after %v", time.Since(h.began).Round(time.Millisecond))
}

// checkCorrections waits for every correction reconciliation ordered to
// complete (payment.corrected, projected), reconciles the reserve bank's
// statement again, and checks that the re-run recorded nothing new and
// posted exactly the accounts the corrections cleared. It returns the
// postings of the re-run.
func (h *harness) checkCorrections(results map[string]reconcile.Result, reserveFile string, distinctIDs int) []events.PostReserveSummary {
	t := h.t
	t.Helper()
	actionable := map[string]string{}
	for _, res := range results {
		for _, c := range res.Corrections {
			actionable[c.TxnID] = c.Action
		}
	}
	corrected := h.waitCorrected(actionable)
	for txn, action := range actionable {
		done := corrected[txn]
		// A credit the reserve bank refuses turns into a refund.
		if done != action && !(action == events.ActionCreditReserve && done == events.ActionRefundCustomer) {
			t.Errorf("%s: correction %s ended as %q", txn, action, done)
		}
	}
	first := results[events.BankReserve]
	res := h.reconcile(first.Closed.BatchID, events.BankReserve, reserveFile)
	if res.Fresh != 0 {
		t.Errorf("reserve bank after the corrections: %d new events on clearing.events, want 0", res.Fresh)
	}
	if n := h.clearingLog().DistinctIDs(); n != distinctIDs {
		t.Errorf("clearing.events: %d distinct IDs after the corrections, want %d", n, distinctIDs)
	}
	wantPosted := postable(first.Lines, corrected)
	var posted []string
	for _, p := range res.Postings {
		posted = append(posted, p.ReserveAccount)
	}
	if !slices.Equal(posted, wantPosted) {
		t.Errorf("postings after the corrections: %v, want %v (held: %+v)", posted, wantPosted, res.Held)
	}
	released := 0
	for _, held := range first.Held {
		if slices.Contains(posted, held.ReserveAccount) {
			released++
		}
	}
	if released == 0 {
		t.Errorf("no reserve account held on the first run was posted after its corrections (held %+v, posted %v): change the link seeds",
			first.Held, posted)
	}
	t.Logf("corrections %v; postings for %v, held %+v", corrected, posted, res.Held)
	return res.Postings
}

// amountRow returns the start of the statement row with the planted
// amount difference, and what replaces it in the bank's second statement,
// off by another 1.00.
func amountRow(t *testing.T, res reconcile.Result) (was, now string) {
	t.Helper()
	for _, l := range res.Lines {
		if l.Class == events.DiffAmount {
			more, _ := l.Theirs.Amount.Add(events.CNY("1.00"))
			return l.TxnID + "," + l.Theirs.Amount.String() + ",", l.TxnID + "," + more.String() + ","
		}
	}
	t.Fatal("no amount difference planted")
	return "", ""
}

type signedAgreement struct{ channel, agreement string }

type key struct{ txn, class string }

func describe(m map[key]string) string {
	var out []string
	for k, action := range m {
		out = append(out, fmt.Sprintf("%s %s %s", k.class, k.txn[:8], action))
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

// naturalDiscrepancy is the reference model of a bank's disagreement with
// a final status, from the bank's last word on the transaction (the
// projected leg kinds; "" when it has none): the class and correction
// DOMAIN.md asks for, or "" when they agree.
func naturalDiscrepancy(bank, status, last string) (class, action string) {
	settled := status == events.StatusSuccess || status == events.StatusPresumedSuccess
	moved := last == tables.PayerDebited
	if bank == events.BankReserve {
		moved = last == tables.ReserveCredited
	}
	switch {
	case settled == moved:
		return "", ""
	case bank == events.BankPayer && !settled:
		return events.DiffStatus, events.ActionRefundCustomer
	case bank == events.BankReserve && status == events.StatusPresumedSuccess:
		return events.DiffStatus, events.ActionCreditReserve
	}
	return events.DiffStatus, ""
}

// postable is the reference model of which reserve accounts are posted
// once the corrections are done: those with a settled payment and no
// discrepancy that a completed correction did not resolve.
func postable(lines []reconcile.Line, corrected map[string]string) []string {
	credits, held := map[string]bool{}, map[string]bool{}
	for _, l := range lines {
		if l.Ours == nil {
			continue
		}
		acc := l.Ours.ReserveAccount
		if _, done := corrected[l.TxnID]; l.Discrepant() && (l.Action == "" || !done) {
			held[acc] = true
		}
		if l.Ours.Settles() && corrected[l.TxnID] != events.ActionRefundCustomer {
			credits[acc] = true
		}
	}
	var out []string
	for acc := range credits {
		if !held[acc] {
			out = append(out, acc)
		}
	}
	sort.Strings(out)
	return out
}

func settled(byTxn map[string]events.Outcome) events.Money {
	sum := events.ZeroCNY()
	for _, o := range byTxn {
		if o.Status == events.StatusSuccess || o.Status == events.StatusPresumedSuccess {
			sum, _ = sum.Add(*o.Amount)
		}
	}
	return sum
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
