package main

import (
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/paycore/paycore/events/chain"
	"github.com/paycore/paycore/services/chainverify"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/topology"
	"github.com/spf13/cobra"
)

// chainedLogs are the event logs the processor runtime chains.
var chainedLogs = []string{topology.SagaEvents, topology.PayerEvts, topology.ResEvents}

func verifyChainCommand() *cobra.Command {
	var which, prefix, keyFile string
	cmd := &cobra.Command{
		Use:   "verify-chain",
		Short: "Recompute the hash chain of every aggregate in the event logs; exit 1 if the log was tampered with",
		Long: `Reads saga.events, payer.events and reserve.events (or the one named with
--topic) from the beginning and recomputes every aggregate's hash chain with
the key of PAYCORE_CHAIN_KEY_FILE (or --key-file). Prints per topic the
records, aggregates, chained and unchained events (unchained: written before
chaining existed) and duplicates (the same event written twice after a
rebalance; the fold ignores them, and they are never a break), then the first
break of each broken aggregate: topic/partition, offset, aggregate, sequence
and why. Exits 1 if any chain is broken, 0 otherwise. Progress goes to
stderr. It reads only; run it any time.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := config.KafkaFromEnv()
			if err != nil {
				return err
			}
			top := k.Topology
			if prefix != "" {
				if top, err = topology.New(topology.Config{Prefix: prefix, Partitions: top.Topics[0].Partitions}); err != nil {
					return err
				}
			}
			var topics []string
			switch {
			case which == "all":
				for _, rel := range chainedLogs {
					topics = append(topics, top.Name(rel))
				}
			case slices.Contains(chainedLogs, which):
				topics = []string{top.Name(which)}
			default:
				return fmt.Errorf("--topic %q: want one of %s or all", which, strings.Join(chainedLogs, ", "))
			}
			key, err := chainKey(keyFile)
			if err != nil {
				return err
			}
			rep, err := chainverify.Topics(cmd.Context(), k.Brokers, topics, key, chainverify.Options{Connector: k.Connector, Progress: os.Stderr})
			if err != nil {
				return err
			}
			fmt.Print(rep)
			if !rep.Clean() {
				broken, aggregates := 0, 0
				for _, t := range rep.Topics {
					broken, aggregates = broken+t.BrokenAggregates, aggregates+t.Aggregates
				}
				if broken == aggregates {
					return fmt.Errorf("every one of the %d aggregates has a broken chain: is this the processors' key (%s)?", broken, config.EnvChainKeyFile)
				}
				return fmt.Errorf("%d aggregate(s) with a broken chain: the event log was altered", broken)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&which, "topic", "all", "event log to verify: "+strings.Join(chainedLogs, ", ")+" or all")
	cmd.Flags().StringVar(&prefix, "prefix", "", `topic prefix of another topology (e.g. a demo run's "paycore.demo-20261129-150405.")`)
	cmd.Flags().StringVar(&keyFile, "key-file", "", "chain key file (default: $"+config.EnvChainKeyFile+", else the development key)")
	return cmd
}

// chainKey is the key of --key-file, else of PAYCORE_CHAIN_KEY_FILE, else
// the development key (with a warning).
func chainKey(keyFile string) ([]byte, error) {
	if keyFile != "" {
		return chain.LoadKey(keyFile)
	}
	key, err := config.ChainKeyFromEnv()
	if err != nil || key != nil {
		return key, err
	}
	slog.Warn("PAYCORE_CHAIN_KEY_FILE not set: verifying with the public development key")
	return []byte(chain.DevKey), nil
}
