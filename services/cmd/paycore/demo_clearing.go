package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/projections/projector"
	"github.com/paycore/paycore/services/clearing"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/reconcile"
	"github.com/paycore/paycore/services/topology"
)

// demoWindow is the demo's clearing window: short, so that the batch holding
// the demo's payments closes within a minute.
const demoWindow = time.Minute

// demoClearing closes the clearing batches of the demo's payments, has the
// simulated banks answer with statements carrying planted discrepancies of
// every class, reconciles them (corrections and summarized postings follow),
// and reconciles again once the corrections are projected.
func demoClearing(ctx context.Context, k config.Kafka, pc projector.Config, run string, lastFinished time.Time) error {
	top := k.Topology
	// The window holding the last payment must have ended (plus a grace).
	const settle = 2 * time.Second
	ready := lastFinished.Truncate(demoWindow).Add(demoWindow + settle)
	if wait := time.Until(ready); wait > 0 {
		fmt.Printf("\n== clearing: waiting %v for the 1-minute window of the last payment to end\n", wait.Round(time.Second))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	filesDir := filepath.Join(clearing.DefaultFilesDir, "demo-"+run)
	rep, err := clearing.Close(ctx, clearing.CloseConfig{
		Brokers: k.Brokers, Connector: k.Connector, ClearingTopic: top.Name(topology.Clearing), SagaEvents: top.Name(topology.SagaEvents),
		ProjectorGroup: pc.GroupPrefix + pc.Name, Conn: pc.Conn, Registry: pc.Registry,
		Schedule: clearing.Schedule{Window: demoWindow, Cutoff: clearing.DefaultCutoff},
		Until:    time.Now(), SettleDelay: settle, FilesDir: filesDir,
	})
	if err != nil {
		return err
	}
	fmt.Println("$ paycore clearing close --window 1m")
	printClosedBatches(rep)

	rc := reconcile.Config{
		Brokers: k.Brokers, Connector: k.Connector,
		Topics: reconcile.Topics{
			Clearing: top.Name(topology.Clearing), SagaEvents: top.Name(topology.SagaEvents),
			SagaInbox: top.Name(topology.SagaInbox), ReserveInbox: top.Name(topology.ResInbox),
		},
		ProjectorGroup: pc.GroupPrefix + pc.Name, Conn: pc.Conn, Registry: events.Catalog(),
		ProjectorWait: 30 * time.Second,
	}
	statements := map[string]map[string]reconcile.Statement{} // batch → bank → statement
	planted := 0
	for _, b := range rep.Closed {
		if b.Settlement.Closed.Payments == 0 {
			continue
		}
		statements[b.Batch.ID] = map[string]reconcile.Statement{}
		for i, bank := range []string{events.BankPayer, events.BankReserve} {
			legs := top.Name(topology.PayerEvts)
			if bank == events.BankReserve {
				legs = top.Name(topology.ResEvents)
			}
			closed, ours, err := reconcile.Load(ctx, rc, b.Batch.ID, legs)
			if err != nil {
				return err
			}
			st, err := reconcile.BankStatement(ctx, rc.Conn, bank, closed, ours)
			if err != nil {
				return err
			}
			var p []reconcile.Planted
			if planted < 2 { // plant in the first batch only, one of each class per bank
				st, p, err = reconcile.PlantDiscrepancies(st, ours, reconcile.Plant{Missing: 1, Extra: 1, Amount: 1, Status: 1, Seed: uint64(i + 1)})
				if err != nil {
					return err
				}
				planted++
			}
			out := filepath.Join(filesDir, b.Batch.ID+"."+bank+".statement.csv")
			if err := clearing.WriteAtomically(out, func(w io.Writer) error { return reconcile.WriteStatement(w, st.Rows) }); err != nil {
				return err
			}
			fmt.Printf("$ paycore bank statement --bank %s --batch %s --out %s  # %d rows, %d planted discrepancies\n", bank, b.Batch.ID, out, len(st.Rows), len(p))
			statements[b.Batch.ID][bank] = st
		}
	}
	reconcileAll := func() error {
		for batch, byBank := range statements {
			for _, bank := range []string{events.BankPayer, events.BankReserve} {
				fmt.Printf("$ paycore reconcile --batch %s --bank %s --file %s\n", batch, bank,
					filepath.Join(filesDir, batch+"."+bank+".statement.csv"))
				res, err := reconcile.Reconcile(ctx, rc, batch, byBank[bank])
				if err != nil {
					return err
				}
				if err := res.WriteSummary(os.Stdout); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := reconcileAll(); err != nil {
		return err
	}
	// Corrections run through the sagas and the banks. The banks look into
	// the planted differences and send corrected statements; reconciled
	// clean, every reserve account gets its one summarized posting.
	fmt.Println("\n== corrections (差错处理) run through the sagas; the banks re-send corrected statements")
	time.Sleep(5 * time.Second)
	for batch := range statements {
		for _, bank := range []string{events.BankPayer, events.BankReserve} {
			legs := top.Name(topology.PayerEvts)
			if bank == events.BankReserve {
				legs = top.Name(topology.ResEvents)
			}
			closed, ours, err := reconcile.Load(ctx, rc, batch, legs)
			if err != nil {
				return err
			}
			st, err := reconcile.BankStatement(ctx, rc.Conn, bank, closed, ours)
			if err != nil {
				return err
			}
			out := filepath.Join(filesDir, batch+"."+bank+".statement-2.csv")
			if err := clearing.WriteAtomically(out, func(w io.Writer) error { return reconcile.WriteStatement(w, st.Rows) }); err != nil {
				return err
			}
			fmt.Printf("$ paycore bank statement --bank %s --batch %s --out %s  # %d rows\n", bank, batch, out, len(st.Rows))
			fmt.Printf("$ paycore reconcile --batch %s --bank %s --file %s\n", batch, bank, out)
			res, err := reconcile.Reconcile(ctx, rc, batch, st)
			if err != nil {
				return err
			}
			if err := res.WriteSummary(os.Stdout); err != nil {
				return err
			}
		}
	}
	return nil
}
