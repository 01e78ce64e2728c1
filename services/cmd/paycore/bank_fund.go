package main

import (
	"fmt"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/bankadmin"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/topology"
	"github.com/spf13/cobra"
)

func bankFundReserveCommand() *cobra.Command {
	var account, amount, fundingID string
	cmd := &cobra.Command{
		Use:   "fund-reserve",
		Short: "Wire funds into a channel's reserve account, for refunds",
		Long: `Sends reserve.fund_reserve to the simulated reserve bank: the channel wires
--amount (CNY, e.g. 1000.00) into reserve account --account. The bank records
the funding once per --funding-id and spreads it over the account's
sub-accounts, where refund debits draw on it. Without --funding-id a new ID
is made from the current time and printed: pass it to re-send the same
funding safely.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := events.ParsePositiveMoney(amount, events.CurrencyCNY.String())
			if err != nil {
				return fmt.Errorf("bank fund-reserve: --amount: %w", err)
			}
			if fundingID == "" {
				fundingID = "F" + time.Now().UTC().Format("20060102T150405.000000000")
			}
			k, err := config.KafkaFromEnv()
			if err != nil {
				return err
			}
			f := bankadmin.Funding{ID: fundingID, ReserveAccount: account, Amount: m}
			if err := bankadmin.FundReservesVia(cmd.Context(), k.Brokers, k.Connector, k.Topology.Name(topology.ResInbox), []bankadmin.Funding{f}); err != nil {
				return fmt.Errorf("bank fund-reserve: %w", err)
			}
			fmt.Printf("sent funding %s: %s CNY into %s\n", fundingID, m, account)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&account, "account", "", "reserve account (required)")
	f.StringVar(&amount, "amount", "", "amount in CNY, e.g. 1000.00 (required)")
	f.StringVar(&fundingID, "funding-id", "", "funding ID; re-sending one is harmless (default: made from the time)")
	for _, name := range []string{"account", "amount"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}
