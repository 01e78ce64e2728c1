package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/clearing"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/topology"
	"github.com/spf13/cobra"
)

func clearingCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "clearing",
		Short: "Clearing batches: close them, instruct settlement, write the banks' reconciliation files",
	}
	cmd.AddCommand(clearingCloseCommand())
	return cmd
}

func clearingCloseCommand() *cobra.Command {
	var (
		until, cutoff string
		cfg           clearing.CloseConfig
	)
	cmd := &cobra.Command{
		Use:   "close",
		Short: "Close every clearing window that has ended and publish its batch and settlement instructions",
		Long: `Closes every clearing window that ended at or before --until minus --settle
and has no clearing.batch_closed on clearing.events yet (a closed batch is
never closed again), from the window of the earliest finished payment on.

Clearing day D runs from the --cutoff of the day before to the --cutoff of D,
Beijing time (UTC+8); its windows of --window start at the day's start and
never span the cut-off. Batch IDs are B<YYYYMMDD>-<HHMM>: clearing day and
window start. A payment belongs to the window holding its final status.

For each batch, from the ClickHouse projection (refused with advice while
the projector is behind on saga.events: run paycore project): writes
<files-dir>/<batch>.payer.csv and <batch>.reserve.csv (header
batch_id,txn_id,order_id,channel_id,reserve_account,amount,status; one line
per payment), then publishes one clearing.settlement_instructed per reserve
account that receives money (PAYER-BANK to RESERVE-BANK, the account's
success and presumed_success total) and the clearing.batch_closed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.SettleDelay <= 0 {
				return fmt.Errorf("clearing close: --settle %v must be positive", cfg.SettleDelay)
			}
			var err error
			if cfg.Schedule.Cutoff, err = clearing.ParseCutoff(cutoff); err != nil {
				return err
			}
			if until != "now" {
				if cfg.Until, err = time.Parse(time.RFC3339, until); err != nil {
					return fmt.Errorf("clearing close: --until %q is neither now nor RFC 3339 (2026-03-02T15:00:00+08:00)", until)
				}
			}
			k, err := config.KafkaFromEnv()
			if err != nil {
				return err
			}
			if _, err := topology.Ensure(cmd.Context(), k.Brokers, k.Topology, topology.EnsureOptions{Timeout: k.AdminTimeout, Create: true, Connector: k.Connector}); err != nil {
				return err
			}
			pc, closeConn, err := projectorConfig(cmd.Context(), k)
			if err != nil {
				return err
			}
			defer closeConn()
			cfg.Brokers, cfg.Conn, cfg.Registry = k.Brokers, pc.Conn, events.Catalog()
			cfg.Connector = k.Connector
			cfg.ClearingTopic, cfg.SagaEvents = k.Topology.Name(topology.Clearing), k.Topology.Name(topology.SagaEvents)
			cfg.ProjectorGroup = pc.GroupPrefix + pc.Name
			rep, err := clearing.Close(cmd.Context(), cfg)
			if len(rep.Closed) > 0 {
				printClosedBatches(rep)
			}
			if err != nil {
				return err
			}
			fmt.Printf("closed %d batch(es) of windows ending by %s; %d already closed; %d left for the next run\n",
				len(rep.Closed), rep.Horizon.In(clearing.Beijing).Format("2006-01-02 15:04 MST"), rep.AlreadyClosed, rep.Left)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&until, "until", "now", "close windows that ended by this time (RFC 3339) minus --settle; not in the future")
	f.DurationVar(&cfg.Schedule.Window, "window", clearing.DefaultWindow, "window length: whole minutes, 1m to 24h")
	f.StringVar(&cutoff, "cutoff", clearing.FormatCutoff(clearing.DefaultCutoff), "daily cut-off, HH:MM Beijing time (00:00 = midnight)")
	f.StringVar(&cfg.FilesDir, "files-dir", clearing.DefaultFilesDir, "directory for the reconciliation files")
	f.DurationVar(&cfg.SettleDelay, "settle", clearing.DefaultSettleDelay, "grace after a window ends before it is closed")
	f.IntVar(&cfg.MaxBatches, "max-batches", clearing.DefaultMaxBatches, "batches closed per run at most")
	f.DurationVar(&cfg.ProjectorWait, "projector-wait", clearing.DefaultProjectorWait, "how long to wait for the projector to catch up")
	return cmd
}

func printClosedBatches(rep clearing.CloseReport) {
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "batch\twindow (Beijing)\tpayments\tsettled\tinstructions\tfiles\t")
	for _, c := range rep.Closed {
		b := c.Settlement.Closed
		var instr []string
		for _, in := range c.Settlement.Instructions {
			instr = append(instr, in.ReserveAccount+" "+in.Amount.String())
		}
		if instr == nil {
			instr = []string{"none"}
		}
		fmt.Fprintf(tw, "%s\t%s - %s\t%d\t%s\t%s\t%s\t\n", b.BatchID,
			b.WindowStart.In(clearing.Beijing).Format("2006-01-02 15:04"), b.WindowEnd.In(clearing.Beijing).Format("15:04"),
			b.Payments, b.SettledAmount, strings.Join(instr, ", "), strings.Join(c.Files, " "))
	}
	tw.Flush()
}
