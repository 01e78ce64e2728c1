package main

import (
	"fmt"
	"os"

	"github.com/paycore/paycore/projections/chconn"
	"github.com/paycore/paycore/projections/tables"
	"github.com/spf13/cobra"
)

func reportCommand() *cobra.Command {
	var opt tables.ReportOptions
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Print payment volumes, status rates, latency and reason codes from ClickHouse",
		Long: `Reads the transactions view in ClickHouse and prints terminal tables for
the payments started in the last --hours hours (the current hour included,
UTC): payments and amounts by channel and status; per channel and per hour
the shares of each final status among finished payments, the presumed
rate and latency p50/p99; and the --top most frequent reason codes.
Read-only: it runs as the analyst user too.
Settings: PAYCORE_CLICKHOUSE_ADDR, PAYCORE_CLICKHOUSE_DATABASE,
PAYCORE_CLICKHOUSE_USER, PAYCORE_CLICKHOUSE_PASSWORD.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opt.Hours < 1 || opt.Top < 1 {
				return fmt.Errorf("report: --hours and --top must be at least 1")
			}
			conn, err := chconn.Open(cmd.Context(), chconn.ConfigFromEnv())
			if err != nil {
				return fmt.Errorf("report: cannot read ClickHouse: %w", err)
			}
			defer conn.Close()
			return tables.WriteReport(cmd.Context(), conn, os.Stdout, opt)
		},
	}
	f := cmd.Flags()
	f.IntVar(&opt.Hours, "hours", tables.DefaultReportHours, "hours to cover, the current one included")
	f.IntVar(&opt.Top, "top", tables.DefaultReportTop, "reason codes to list")
	return cmd
}
