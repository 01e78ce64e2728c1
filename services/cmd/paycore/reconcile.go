package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/clearing"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/reconcile"
	"github.com/paycore/paycore/services/topology"
	"github.com/spf13/cobra"
)

// reconcileConfig builds reconcile.Config from the environment, with
// the projector's ClickHouse connection (migrations applied); call the
// returned function to close it.
func reconcileConfig(ctx context.Context, wait time.Duration) (reconcile.Config, config.Kafka, func(), error) {
	k, err := config.KafkaFromEnv()
	if err != nil {
		return reconcile.Config{}, k, nil, err
	}
	pc, closeConn, err := projectorConfig(ctx, k)
	if err != nil {
		return reconcile.Config{}, k, nil, err
	}
	top := k.Topology
	return reconcile.Config{
		Brokers: k.Brokers, Connector: k.Connector,
		Topics: reconcile.Topics{
			Clearing: top.Name(topology.Clearing), SagaEvents: top.Name(topology.SagaEvents),
			SagaInbox: top.Name(topology.SagaInbox), ReserveInbox: top.Name(topology.ResInbox),
		},
		ProjectorGroup: pc.GroupPrefix + pc.Name,
		Conn:           pc.Conn,
		Registry:       events.Catalog(),
		ProjectorWait:  wait,
	}, k, closeConn, nil
}

func reconcileCommand() *cobra.Command {
	var batch, bank, file string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "reconcile",
		Short: "Reconcile a closed batch with a bank's statement; start corrections and summarized postings",
		Long: `Reads a bank's statement of a closed batch (CSV: header
txn_id,amount,bank_status; bank_status debited|refused|reversed|not_found for
the payer bank, credited|refused|not_found for the reserve bank) strictly: a
bad line fails the run, naming the line, and nothing is published.

Compares it with the batch as ClickHouse holds it (refused while the
projector is behind, or when the batch no longer matches what it closed
with) into matched, only_ours, only_theirs, amount_differs and
status_differs, and publishes one reconciliation.discrepancy_found per
difference and a reconciliation.batch_reconciled to clearing.events. A debit
standing behind a failure or presumed_failure sends saga.correct_payment
refund_customer; a reserve credit missing behind a presumed_success sends
credit_reserve. For the reserve bank, every reserve account whose
transactions all check out (or were corrected) gets one reserve.post_summary
(汇总记账); the others wait for a later run.

Running it again with the same statement republishes the same events with
the same IDs: nothing changes downstream.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := clearing.ValidateBatchID(batch); err != nil {
				return err
			}
			f, err := os.Open(file)
			if err != nil {
				return fmt.Errorf("reconcile: %w", err)
			}
			defer f.Close()
			st, err := reconcile.ParseStatement(f, bank)
			if err != nil {
				return fmt.Errorf("reconcile: statement %s: %w (nothing published)", file, err)
			}
			cfg, _, closeConn, err := reconcileConfig(cmd.Context(), wait)
			if err != nil {
				return err
			}
			defer closeConn()
			res, err := reconcile.Reconcile(cmd.Context(), cfg, batch, st)
			if err != nil {
				return err
			}
			return res.WriteSummary(os.Stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&batch, "batch", "", "batch ID, B<YYYYMMDD>-<HHMM> (required)")
	f.StringVar(&bank, "bank", "", "whose statement: payer or reserve (required)")
	f.StringVar(&file, "file", "", "the bank's statement, CSV (required)")
	f.DurationVar(&wait, "projector-wait", clearing.DefaultProjectorWait, "how long to wait for the projector to catch up")
	for _, name := range []string{"batch", "bank", "file"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func bankCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bank",
		Short: "The simulated banks' back office: statements for reconciliation, reserve funding",
	}
	cmd.AddCommand(bankStatementCommand(), bankFundReserveCommand())
	return cmd
}

func bankStatementCommand() *cobra.Command {
	var batch, bank, out string
	var plant reconcile.Plant
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "statement",
		Short: "Write a simulated bank's statement of a closed batch, optionally with planted discrepancies",
		Long: `Writes what the simulated payer or reserve bank would answer to the switch's
reconciliation file of a closed batch: one row per payment of the batch,
txn_id,amount,bank_status, from the bank's own legs (payer_legs: reversed,
debited or refused; reserve_legs: credited or refused; not_found when the
bank has none) and the amount it moved (0.00 when it moved none).

The --plant-* options alter matching rows for demos and tests, each into
exactly one discrepancy: --plant-missing drops rows (only_ours),
--plant-extra adds unknown transactions (only_theirs), --plant-amount adds
1.00 (amount_differs), --plant-status says money did not move where it did
(status_differs). --seed picks the rows. The planted discrepancies are
listed on stderr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := reconcile.ValidBank(bank); err != nil {
				return err
			}
			if err := clearing.ValidateBatchID(batch); err != nil {
				return err
			}
			cfg, k, closeConn, err := reconcileConfig(cmd.Context(), wait)
			if err != nil {
				return err
			}
			defer closeConn()
			legs := k.Topology.Name(topology.PayerEvts)
			if bank == events.BankReserve {
				legs = k.Topology.Name(topology.ResEvents)
			}
			closed, ours, err := reconcile.Load(cmd.Context(), cfg, batch, legs)
			if err != nil {
				return err
			}
			st, err := reconcile.BankStatement(cmd.Context(), cfg.Conn, bank, closed, ours)
			if err != nil {
				return err
			}
			st, planted, err := reconcile.PlantDiscrepancies(st, ours, plant)
			if err != nil {
				return err
			}
			if err := clearing.WriteAtomically(out, func(w io.Writer) error { return reconcile.WriteStatement(w, st.Rows) }); err != nil {
				return fmt.Errorf("bank statement: writing %s: %w", out, err)
			}
			for _, p := range planted {
				fmt.Fprintf(os.Stderr, "planted %s %s\n", p.Class, p.TxnID)
			}
			fmt.Printf("wrote the %s bank's statement of %s to %s: %d rows, %d planted discrepancies\n",
				bank, batch, out, len(st.Rows), len(planted))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&bank, "bank", "", "which bank: payer or reserve (required)")
	f.StringVar(&batch, "batch", "", "batch ID, B<YYYYMMDD>-<HHMM> (required)")
	f.StringVar(&out, "out", "", "file to write (required)")
	f.IntVar(&plant.Missing, "plant-missing", 0, "rows to drop (only_ours)")
	f.IntVar(&plant.Extra, "plant-extra", 0, "unknown transactions to add (only_theirs)")
	f.IntVar(&plant.Amount, "plant-amount", 0, "amounts to change (amount_differs)")
	f.IntVar(&plant.Status, "plant-status", 0, "statuses to change (status_differs)")
	f.Uint64Var(&plant.Seed, "seed", 1, "which rows the planting picks")
	f.DurationVar(&wait, "projector-wait", clearing.DefaultProjectorWait, "how long to wait for the projector to catch up")
	for _, name := range []string{"bank", "batch", "out"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}
