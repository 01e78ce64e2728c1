package reconcile

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/paycore/paycore/events"
)

// classOrder is the order classes are reported in.
var classOrder = []string{events.DiffMatchedNoDiff, events.DiffOnlyOurs, events.DiffOnlyTheirs, events.DiffStatus, events.DiffAmount}

// WriteSummary prints the result as terminal tables: counts per class,
// every discrepancy with both sides and its correction, and for the
// reserve bank the postings sent and the accounts held.
func (r Result) WriteSummary(w io.Writer) error {
	c := r.Closed
	fmt.Fprintf(w, "Batch %s [%s, %s) UTC: %d payments, %s settled; %s bank statement\n\n",
		c.BatchID, c.WindowStart.Format("2006-01-02 15:04"), c.WindowEnd.Format("2006-01-02 15:04"),
		c.Payments, c.SettledAmount, r.Bank)

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "class\ttransactions\t")
	counts := Counts(r.Lines)
	for _, class := range classOrder {
		fmt.Fprintf(tw, "%s\t%d\t\n", class, counts[class])
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	if d := r.Discrepancies(); len(d) > 0 {
		fmt.Fprintln(w, "\nDiscrepancies")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "txn_id\tclass\tours\ttheirs\taction\t")
		for _, l := range d {
			ours, theirs := "-", "-"
			if l.Ours != nil {
				ours = l.Ours.Status + " " + l.Ours.Amount.String()
			}
			if l.Theirs != nil {
				theirs = l.Theirs.Status + " " + l.Theirs.Amount.String()
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", l.TxnID, l.Class, ours, theirs, orDash(l.Action))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	for _, x := range r.Restated {
		fmt.Fprintf(w, "note: %s %s was recorded earlier as %s, the statement now says %s; the recorded discrepancy stands\n",
			x.Now.TxnID, x.Now.Class, theirSide(x.Recorded), theirSide(x.Now))
	}

	if r.Bank == events.BankReserve {
		fmt.Fprintln(w, "\nSummarized postings (汇总记账)")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "reserve_account\tcredits\tamount\tstate\t")
		for _, p := range r.Postings {
			fmt.Fprintf(tw, "%s\t%d\t%s\tposting sent\t\n", p.ReserveAccount, p.Credits, p.Amount)
		}
		for _, h := range r.Held {
			fmt.Fprintf(tw, "%s\t-\t-\theld: %d unresolved discrepancies\t\n", h.ReserveAccount, h.Unresolved)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	var sent []string
	if n := len(r.Corrections); n > 0 {
		sent = append(sent, fmt.Sprintf("%d correction(s) to the sagas", n))
	}
	if n := len(r.Postings); n > 0 {
		sent = append(sent, fmt.Sprintf("%d posting(s) to the reserve bank", n))
	}
	fmt.Fprintf(w, "\nRecorded %d event(s) on clearing.events, %d new", len(r.Recorded), r.Fresh)
	if len(sent) > 0 {
		fmt.Fprintf(w, "; sent %s", strings.Join(sent, " and "))
	}
	_, err := fmt.Fprintln(w, ".")
	return err
}

func theirSide(d events.DiscrepancyFound) string {
	if d.TheirAmount == nil {
		return "absent"
	}
	return d.TheirStatus + " " + d.TheirAmount.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
