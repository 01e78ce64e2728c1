package main

import (
	"cmp"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/services/admission"
	"github.com/paycore/paycore/services/app"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/metrics"
	"github.com/paycore/paycore/services/saga"
	"github.com/paycore/paycore/services/topology"
	"github.com/spf13/cobra"
)

// faultFlags registers the bank-link fault flags of one bank.
func faultFlags(cmd *cobra.Command, bank string, c *banklink.Config) {
	f := cmd.Flags()
	f.Float64Var(&c.TimeoutRate, bank+"-timeout-rate", 0, "share of "+bank+" bank requests that never arrive")
	f.Float64Var(&c.LostReplyRate, bank+"-lost-reply-rate", 0, "share of "+bank+" bank replies that are lost")
	f.Float64Var(&c.QueryUnknownRate, bank+"-query-unknown-rate", 0, "share of "+bank+" bank status queries answered unknown")
	f.DurationVar(&c.LatencyMin, bank+"-latency-min", 0, "minimum "+bank+" bank reply latency")
	f.DurationVar(&c.LatencyMax, bank+"-latency-max", 0, "maximum "+bank+" bank reply latency")
	f.Uint64Var(&c.Seed, bank+"-fault-seed", 1, "seed of the "+bank+" bank's fault decisions")
}

func runCommand() *cobra.Command {
	var cfg app.Config
	var processors string
	var closed string
	var metricsAddr string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run paycore's processors (all, or those named with --processors)",
		Long: `Runs the processors until interrupted: intake (channel requests), saga
(payment and signing sagas), payer (simulated payer bank), reserve (simulated
reserve bank). Run several instances to share partitions; each processor is
its own consumer group, so they can also run and scale separately:
  paycore run --processors saga        # on three machines
  paycore run --processors intake,payer,reserve
Checks the topology at start-up and refuses to run on a mismatch.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := config.KafkaFromEnv()
			if err != nil {
				return err
			}
			cfg.Kafka, cfg.Secrets = k, config.SecretsFromEnv()
			if cfg.Secrets.UsingDevelopmentDefaults() {
				slog.Warn("PAYCORE_PAYER_KEY_SECRET or PAYCORE_SMS_SECRET not set: using the public development secrets")
			}
			if cfg.Secrets.Chain, err = config.ChainKeyFromEnv(); err != nil {
				return err
			}
			if cfg.Secrets.Chain == nil {
				slog.Warn("PAYCORE_CHAIN_KEY_FILE not set: chaining events with the public development key, which proves nothing against tampering")
			}
			sec := k.Connector.Security()
			slog.Info("kafka", "brokers", strings.Join(k.Brokers, ","), "security", sec)
			if sec.Mechanism == kafkaconn.Plain && !sec.TLS.Enabled {
				slog.Warn("SASL PLAIN without PAYCORE_KAFKA_TLS: the Kafka password crosses the network in clear")
			}
			if processors != "" {
				cfg.Processors = strings.Split(processors, ",")
			}
			if closed != "" {
				cfg.ClosedReserveAccounts = strings.Split(closed, ",")
			}
			// The direct path times its one leg like the sagas time theirs.
			cfg.Cutover.Direct.LegTimeout, cfg.Cutover.Direct.QueryInterval = cfg.Saga.LegTimeout, cfg.Saga.QueryInterval
			cfg.Cutover.Direct.FinalTimeout = cfg.Saga.PayerFinalTimeout
			if leg := cmp.Or(cfg.Saga.LegTimeout, saga.DefaultLegTimeout); !cfg.Admission.Off && cfg.Admission.MaxDelay >= leg/2 {
				slog.Warn("--admission-max-delay is not well under --leg-timeout: legs can time out in the queue before a bank reads them",
					"admission_max_delay", cfg.Admission.MaxDelay, "leg_timeout", leg)
			}
			create, _ := cmd.Flags().GetBool("create-topics")
			if metricsAddr != "" {
				m := metrics.New()
				m.WatchOutcomes(cfg.Kafka.Topology.Name(topology.Outcomes))
				cfg.Observer = m
				which := cfg.Processors
				if len(which) == 0 {
					which = app.AllProcessors
					if cfg.Cutover.Enabled {
						which = append(slices.Clone(which), app.CutoverProcessors...)
					}
				}
				addr, err := m.Serve(cmd.Context(), metricsAddr, which)
				if err != nil {
					return fmt.Errorf("metrics endpoint: %w", err)
				}
				slog.Info("serving /metrics, /healthz, /readyz", "addr", addr.String())
			}
			return app.Run(cmd.Context(), cfg, create)
		},
	}
	f := cmd.Flags()
	f.StringVar(&processors, "processors", "", "comma-separated processors to run (default: all)")
	f.StringVar(&closed, "closed-reserve-accounts", "", "reserve accounts that refuse credits (to exercise failures)")
	f.Bool("create-topics", true, "create missing topics at start-up")
	f.BoolVar(&cfg.Cutover.Enabled, "cutover", false, "run the cutover: route payments by the rules on cutover.rules, run the legacy direct path (processors cutover, direct)")
	f.StringVar(&metricsAddr, "metrics-addr", "127.0.0.1:9464", "serve Prometheus /metrics, /healthz and /readyz here (empty: off)")
	f.DurationVar(&cfg.Saga.LegTimeout, "leg-timeout", 0, "wait for a bank reply before a status query (default 2s)")
	f.DurationVar(&cfg.Saga.QueryInterval, "query-interval", 0, "wait between status queries (default 1s)")
	f.DurationVar(&cfg.Saga.PayerFinalTimeout, "payer-final-timeout", 0, "payer leg unknown this long after start → presumed failure (default 10s)")
	f.DurationVar(&cfg.Saga.ReserveFinalTimeout, "reserve-final-timeout", 0, "reserve leg unknown this long after the debit → presumed success (default 10s)")
	f.IntVar(&cfg.Runtime.MaxBatch, "max-batch", 0, "records per batch (default 500)")
	f.DurationVar(&cfg.Runtime.SessionTimeout, "session-timeout", 10*time.Second, "consumer-group session timeout: how fast a dead instance's partitions move")
	f.BoolVar(&cfg.Admission.Off, "no-admission", false, "admit requests whatever the backlog downstream (no admission gate)")
	f.DurationVar(&cfg.Admission.MaxDelay, "admission-max-delay", admission.DefaultMaxDelay,
		"admit what keeps this much work (at their current rate) queued for the sagas and banks; the rest waits in the requests topic. Keep it well under --leg-timeout")
	f.Int64Var(&cfg.Admission.MinLag, "admission-min-lag", admission.DefaultMinLag, "smallest downstream backlog target (records): what an idle system may be given at once")
	faultFlags(cmd, "payer", &cfg.PayerLink)
	faultFlags(cmd, "reserve", &cfg.ReserveLink)
	return cmd
}
