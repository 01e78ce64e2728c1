package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/projections/chconn"
	"github.com/paycore/paycore/projections/projector"
	"github.com/paycore/paycore/projections/tables"
	"github.com/paycore/paycore/services/app"
	"github.com/paycore/paycore/services/audit"
	"github.com/paycore/paycore/services/bankadmin"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/cutover"
	"github.com/paycore/paycore/services/payerbank"
	"github.com/paycore/paycore/services/payerkey"
	"github.com/paycore/paycore/services/topology"
	"github.com/spf13/cobra"
)

// demoChannels are the institutions of the demo, one entry per sixth of
// the customers; CLOSED-RSV-DEMO's reserve account refuses credits, so its
// payments show compensation (the debit is reversed).
var demoChannels = []string{"ALIPAY-DEMO", "TENPAY-DEMO", "ALIPAY-DEMO", "TENPAY-DEMO", "ALIPAY-DEMO", "CLOSED-RSV-DEMO"}

func demoCommand() *cobra.Command {
	var accounts, payments int
	var seed uint64
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the main job: probe, signing, payments with bank faults, audit, summary",
		Long: `Creates topics, applies migrations, sends a probe through Kafka into
ClickHouse, then runs every processor in this process with bank-link faults
on: opens customer accounts, signs agreements (with the SMS step), terminates
one, sends payments (some over limits or balances, some malformed), waits for
every outcome, audits the log, and prints final statuses and balances.
Each run uses its own topic prefix, so runs never mix.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			if err := runProbe(ctx, "demo", "0.01"); err != nil {
				return fmt.Errorf("probe: %w", err)
			}
			return runDemo(ctx, seed, accounts, payments)
		},
	}
	cmd.Flags().IntVar(&accounts, "accounts", 30, "customer accounts")
	cmd.Flags().IntVar(&payments, "payments", 600, "payments")
	cmd.Flags().Uint64Var(&seed, "seed", 2018, "workload and fault seed")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "give up after this long")
	return cmd
}

func runDemo(ctx context.Context, seed uint64, nAccounts, nPayments int) error {
	k, err := config.KafkaFromEnv()
	if err != nil {
		return err
	}
	run := time.Now().UTC().Format("20060102-150405")
	if err := freshDemoDatabase(ctx); err != nil {
		return err
	}
	if k.Topology, err = topology.New(topology.Config{Prefix: k.Topology.Prefix + "demo-" + run + ".", Partitions: 6}); err != nil {
		return err
	}
	cfg := app.Config{
		Kafka: k, Secrets: config.SecretsFromEnv(),
		PayerLink:             banklink.Config{Seed: seed, TimeoutRate: 0.02, LostReplyRate: 0.05, QueryUnknownRate: 0.7, LatencyMax: 20 * time.Millisecond},
		ReserveLink:           banklink.Config{Seed: seed + 1, TimeoutRate: 0.02, LostReplyRate: 0.05, QueryUnknownRate: 0.7, LatencyMax: 20 * time.Millisecond},
		ClosedReserveAccounts: []string{"RSV-CLOSED-RSV-DEMO"},
		Logger:                slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	cfg.Saga.LegTimeout, cfg.Saga.QueryInterval = 500*time.Millisecond, 300*time.Millisecond
	cfg.Saga.PayerFinalTimeout, cfg.Saga.ReserveFinalTimeout = 3*time.Second, 3*time.Second
	cfg.Runtime.SessionTimeout = 6 * time.Second
	fmt.Printf("\n== demo on topics %s* (%d partitions), faults on (seed %d)\n", k.Topology.Prefix, 6, seed)
	if _, err := topology.Ensure(ctx, k.Brokers, k.Topology, topology.EnsureOptions{Create: true, Timeout: k.AdminTimeout, Connector: k.Connector}); err != nil {
		return err
	}
	// The cutover runs too: the demo's own institutions are not in its
	// rules, so their payments take NetsUnion; demoCutover moves one
	// institution between the paths.
	rules, err := cutover.Follow(ctx, k.Brokers, k.Connector, k.Topology.Name(topology.CutoverRules), events.Catalog(), nil)
	if err != nil {
		return err
	}
	cfg.Cutover.Enabled, cfg.Cutover.Rules = true, rules
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- app.Run(runCtx, cfg, false) }()
	defer func() { stop(); <-done }()

	top := k.Topology
	d, err := payerkey.NewDeriver(cfg.Secrets.PayerKey)
	if err != nil {
		return err
	}
	client := channel.NewClient(k.Brokers, k.Connector, top.Name(topology.Requests))
	defer client.Close()
	outcomes, err := channel.Watch(runCtx, k.Brokers, k.Connector, top.Name(topology.Outcomes))
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 11))

	// 1. The payer bank's customers.
	var accts []bankadmin.Account
	for i := 0; i < nAccounts; i++ {
		accts = append(accts, bankadmin.Account{
			Number: fmt.Sprintf("622202%013d", i), HolderName: fmt.Sprintf("Customer %d", i),
			IDNumber: fmt.Sprintf("1101051990%07dX", i), Phone: fmt.Sprintf("138%08d", i),
			OpeningBalance: events.CNY(fmt.Sprintf("%d.00", 2000+rng.IntN(18000))),
		})
	}
	if err := bankadmin.OpenAccounts(ctx, k.Brokers, k.Connector, top.Name(topology.PayerInbox), d, accts); err != nil {
		return err
	}
	fmt.Printf("opened %d customer accounts at the payer bank\n", len(accts))

	// 2. Signing: every account signs with one channel, concurrently.
	start := time.Now()
	type signed struct {
		channel, agreement string
	}
	results := make(chan signed, len(accts))
	errs := make(chan error, len(accts))
	for i, a := range accts {
		ch := demoChannels[i%len(demoChannels)]
		go func() {
			no, err := channel.SignAndConfirm(ctx, client, outcomes, ch, fmt.Sprintf("demo-%s-%d", run, i), events.SignAgreementBody{
				PayerAccount: a.Number, HolderName: a.HolderName, IDNumber: a.IDNumber, Phone: a.Phone,
				PerPaymentLimit: events.CNY("800.00"), DailyLimit: events.CNY("5000.00"),
			}, func(signingID string) string { return payerbank.SMSCode(cfg.Secrets.SMS, signingID) })
			if err != nil {
				errs <- err
				return
			}
			results <- signed{ch, no}
		}()
	}
	var agreements []signed
	for range accts {
		select {
		case s := <-results:
			agreements = append(agreements, s)
		case err := <-errs:
			return err
		}
	}
	sort.Slice(agreements, func(i, j int) bool { return agreements[i].agreement < agreements[j].agreement })
	fmt.Printf("signed %d agreements (sign_agreement → SMS code → confirm_signing) in %v\n", len(agreements), time.Since(start).Round(time.Millisecond))

	// 3. The customer of the first agreement terminates it (解约).
	term := "demo-" + run + "-terminate"
	if err := client.Send(ctx, channel.Terminate(agreements[0].channel, term, term, agreements[0].agreement)); err != nil {
		return err
	}
	if _, err := outcomes.Wait(ctx, term, channel.Any); err != nil {
		return err
	}
	fmt.Printf("terminated agreement %s\n", agreements[0].agreement)

	// 4. Payments, plus a few malformed requests.
	start = time.Now()
	var orders []string
	var reqs []events.Request
	for i := 0; i < nPayments; i++ {
		s := agreements[rng.IntN(len(agreements))]
		order := fmt.Sprintf("demo-%s-pay-%d", run, i)
		fen := 100 + rng.IntN(84900) // up to 850.00: a few exceed the per-payment limit
		reqs = append(reqs, channel.Pay(s.channel, order, order, s.agreement, events.CNY(fmt.Sprintf("%d.%02d", fen/100, fen%100))))
		orders = append(orders, order)
	}
	if err := client.Send(ctx, reqs...); err != nil {
		return err
	}
	for i, bad := range []string{`{"type":"pay","version":1`, `{"type":"refund_everything","version":1,"channel_id":"X","order_id":"bad-2","idempotency_key":"k","body":{}}`} {
		if err := client.SendRaw(ctx, fmt.Sprintf("bad-%d", i), []byte(bad)); err != nil {
			return err
		}
	}
	if err := outcomes.WaitAll(ctx, orders, channel.Final); err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Printf("%d payments reached a final status in %v (%.0f payments/s; not a benchmark: see make bench)\n",
		nPayments, elapsed.Round(time.Millisecond), float64(nPayments)/elapsed.Seconds())

	printOutcomeSummary("payments", outcomes, orders)
	if err := demoRefunds(ctx, k, client, outcomes, run, orders); err != nil {
		return err
	}
	if err := demoCutover(ctx, k, rules, cfg.Secrets, client, outcomes, run); err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond) // let the last rejects land before the audit reads them
	rep, err := audit.FromKafka(ctx, k.Brokers, k.Connector, top)
	if err != nil {
		return err
	}
	fmt.Printf("\n== audit of the Kafka log\n%s", rep)
	if !rep.Clean() {
		return fmt.Errorf("audit found %d violations", len(rep.Violations))
	}
	lastFinished := time.Now()
	pc, stopProjector, err := startProjector(ctx, k, "demo-"+run+"-pay-", nPayments)
	if err != nil {
		return err
	}
	defer stopProjector()
	fmt.Printf("\n== analyst report from ClickHouse (database %s)\n", chconn.ConfigFromEnv().Database)
	if err := tables.WriteReport(ctx, pc.Conn, os.Stdout, tables.ReportOptions{Hours: 1}); err != nil {
		return err
	}
	if err := demoClearing(ctx, k, pc, run, lastFinished); err != nil {
		return err
	}
	rep, err = audit.FromKafka(ctx, k.Brokers, k.Connector, top)
	if err != nil {
		return err
	}
	fmt.Printf("\n== audit of the Kafka log after clearing, reconciliation and corrections\n%s", rep)
	if !rep.Clean() {
		return fmt.Errorf("audit found %d violations", len(rep.Violations))
	}
	return nil
}

// startProjector runs the ClickHouse projector over the demo's logs in the
// background and returns once every payment of the run is finished in the
// transactions view. The returned function stops it.
func startProjector(ctx context.Context, k config.Kafka, orderPrefix string, payments int) (projector.Config, func(), error) {
	pc, closeConn, err := projectorConfig(ctx, k)
	if err != nil {
		return projector.Config{}, nil, err
	}
	pc.MaxDelay = 200 * time.Millisecond
	pc.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	p, err := projector.New(pc)
	if err != nil {
		closeConn()
		return projector.Config{}, nil, err
	}
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(pctx) }()
	stop := func() { cancel(); <-done; closeConn() }
	start := time.Now()
	for {
		var finished uint64
		if err := pc.Conn.QueryRow(ctx, "SELECT count() FROM transactions WHERE finished AND startsWith(order_id, ?)", orderPrefix).Scan(&finished); err != nil {
			stop()
			return projector.Config{}, nil, err
		}
		if int(finished) >= payments {
			break
		}
		select {
		case <-ctx.Done():
			stop()
			return projector.Config{}, nil, fmt.Errorf("projector: %d of %d payments in ClickHouse: %w", finished, payments, ctx.Err())
		case err := <-done:
			closeConn()
			return projector.Config{}, nil, fmt.Errorf("projector stopped: %w", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	fmt.Printf("\n== projected into ClickHouse in %v\n", time.Since(start).Round(time.Millisecond))
	return pc, stop, nil
}

func printOutcomeSummary(what string, o *channel.Outcomes, orders []string) {
	type row struct{ status, reason string }
	counts := map[row]int{}
	for _, id := range orders {
		for _, out := range o.Get(id) {
			if channel.Final(out) {
				counts[row{out.Status, out.ReasonCode}]++
			}
		}
	}
	rows := make([]row, 0, len(counts))
	for r := range counts {
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].status != rows[j].status {
			return rows[i].status < rows[j].status
		}
		return rows[i].reason < rows[j].reason
	})
	fmt.Printf("\n== final statuses of the %s\n", what)
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "STATUS\tREASON\tCOUNT")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%d\n", r.status, r.reason, counts[r])
	}
	_ = w.Flush()
}

// demoDatabase holds the demo's projections, apart from the operator's
// database, so that clearing windows hold this run's payments only.
const demoDatabase = "paycore_demo"

// freshDemoDatabase points the ClickHouse settings at the demo database and
// empties it.
func freshDemoDatabase(ctx context.Context) error {
	if err := os.Setenv("PAYCORE_CLICKHOUSE_DATABASE", demoDatabase); err != nil {
		return err
	}
	conn, err := chconn.Open(ctx, chconn.ConfigFromEnv())
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Exec(ctx, "DROP DATABASE IF EXISTS "+demoDatabase)
}
