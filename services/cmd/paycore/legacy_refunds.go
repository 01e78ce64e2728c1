package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/clearing"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/directpath"
	"github.com/paycore/paycore/services/processor"
	"github.com/paycore/paycore/services/topology"
	"github.com/spf13/cobra"
)

// legacyLedgerFlags are the flags of the operator's ledger entries.
type legacyLedgerFlags struct{ channel, amount, ref string }

func (f *legacyLedgerFlags) register(cmd *cobra.Command, what string) {
	fl := cmd.Flags()
	fl.StringVar(&f.channel, "channel", "", "the institution's channel ID (required)")
	fl.StringVar(&f.amount, "amount", "", "amount in CNY, e.g. 1000.00 (required)")
	fl.StringVar(&f.ref, "ref", "", "the bank's reference of the "+what+" wire: entering it again is harmless (required)")
}

// send checks the flags and sends the ledger command build makes.
func (f *legacyLedgerFlags) send(cmd *cobra.Command, name string, build func(id string, amount events.Money) events.Payload) error {
	if f.channel == "" || f.ref == "" {
		return fmt.Errorf("legacy %s: --channel and --ref are required", name)
	}
	amount, err := events.ParsePositiveMoney(f.amount, events.CurrencyCNY.String())
	if err != nil {
		return fmt.Errorf("legacy %s: --amount: %w", name, err)
	}
	k, err := config.KafkaFromEnv()
	if err != nil {
		return err
	}
	id := events.DeriveID("legacy", name, f.channel, f.ref)
	key := events.LegacyLedgerKey(f.channel)
	env, err := events.Catalog().New(key, 1, build(id, amount), events.Meta{ID: id, CorrelationID: id, CausationID: id, OccurredAt: time.Now()})
	if err != nil {
		return fmt.Errorf("legacy %s: %w", name, err)
	}
	if err := clearing.Publish(cmd.Context(), k.Brokers, k.Connector, []processor.Outbound{processor.EnvelopeTo(k.Topology.Name(topology.DirectInbox), env)}); err != nil {
		return fmt.Errorf("legacy %s: %w", name, err)
	}
	fmt.Printf("sent %s of %s CNY for %s (ref %s); check it with paycore legacy ledger --channel %s\n", name, amount, f.channel, f.ref, f.channel)
	return nil
}

func legacyPrefundCommand() *cobra.Command {
	var f legacyLedgerFlags
	cmd := &cobra.Command{
		Use:   "prefund --channel C --amount X --ref R",
		Short: "Record the institution's wire to the designated account for legacy refunds (prefund method)",
		Long: `Sends direct.receive_prefund to the legacy direct path: --amount is now
available to the institution's legacy refunds under the prefund method,
which are refused (prefund_insufficient) beyond it. --ref identifies the
wire; the same --ref is counted once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.send(cmd, "prefund", func(id string, amount events.Money) events.Payload {
				return events.ReceivePrefund{FundingID: id, ChannelID: f.channel, Amount: amount}
			})
		},
	}
	f.register(cmd, "prefund")
	return cmd
}

func legacyRepayCommand() *cobra.Command {
	var f legacyLedgerFlags
	cmd := &cobra.Command{
		Use:   "repay --channel C --amount X --ref R",
		Short: "Record the institution's repayment of refunds the bank advanced (bank_advance method)",
		Long: `Sends direct.repay_advance to the legacy direct path: the institution's
outstanding debt for advanced legacy refunds goes down by --amount
(direct.advance_repaid). A repayment above the debt is refused
(repayment_exceeds_debt) and changes nothing. The same --ref is counted
once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.send(cmd, "repay", func(id string, amount events.Money) events.Payload {
				return events.RepayAdvance{RepaymentID: id, ChannelID: f.channel, Amount: amount}
			})
		},
	}
	f.register(cmd, "repayment")
	return cmd
}

func legacyLedgerCommand() *cobra.Command {
	var channel string
	cmd := &cobra.Command{
		Use:   "ledger --channel C",
		Short: "Show an institution's legacy ledger: prefunded balance, advanced refunds outstanding, movements",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if channel == "" {
				return errors.New("legacy ledger: --channel is required")
			}
			k, err := config.KafkaFromEnv()
			if err != nil {
				return err
			}
			reg := events.Catalog()
			l, log, err := directpath.ReadLedger(cmd.Context(), k.Brokers, k.Connector, k.Topology.Name(topology.DirectEvents), reg, channel)
			if err != nil {
				return fmt.Errorf("legacy ledger: %w", err)
			}
			for _, env := range log {
				p, err := reg.Decode(env)
				if err != nil {
					return err
				}
				fmt.Printf("%s  %-28s %s\n", env.OccurredAt.Format(time.RFC3339), env.Type, jsonLine(p))
			}
			fmt.Printf("channel %s: prefunded %s CNY, advanced and outstanding %s CNY\n", channel, l.Prefund, l.Outstanding)
			return nil
		},
	}
	cmd.Flags().StringVar(&channel, "channel", "", "the institution's channel ID (required)")
	return cmd
}

func jsonLine(p events.Payload) string {
	b, err := events.EncodeJSON(p)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
