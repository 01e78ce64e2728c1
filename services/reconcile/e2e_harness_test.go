package reconcile_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/segmentio/kafka-go"
	"github.com/shopspring/decimal"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkapubsub/kafkatest"
	"github.com/paycore/paycore/projections/chconn/chtest"
	"github.com/paycore/paycore/projections/migrate"
	"github.com/paycore/paycore/projections/projector"
	"github.com/paycore/paycore/projections/tables"
	"github.com/paycore/paycore/schemas"
	"github.com/paycore/paycore/services/app"
	"github.com/paycore/paycore/services/bankadmin"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/clearing"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/logscan"
	"github.com/paycore/paycore/services/payerbank"
	"github.com/paycore/paycore/services/payerkey"
	"github.com/paycore/paycore/services/processor"
	"github.com/paycore/paycore/services/reconcile"
	"github.com/paycore/paycore/services/reservebank"
	"github.com/paycore/paycore/services/saga"
	"github.com/paycore/paycore/services/topology"
)

// harness runs the processors and the projector in-process on a topology
// and a ClickHouse database of the test's own.
type harness struct {
	t              *testing.T
	ctx            context.Context
	began          time.Time
	brokers        []string
	top            topology.Topology
	cfg            app.Config
	conn           driver.Conn
	reg            *events.Registry
	projectorGroup string
	dir            string
	client         *channel.Client
	outcomes       *channel.Outcomes
	deriver        payerkey.Deriver
	seq            int
}

// closeConfig closes batches as paycore clearing close does, on a clock
// moved 13 hours past now with the cut-off 12 hours after now: the
// clearing day [now-12h, now+12h) then holds every payment of the test,
// has ended, and is one 24-hour window.
func (h *harness) closeConfig(now time.Time) clearing.CloseConfig {
	return clearing.CloseConfig{
		Brokers: h.brokers, ClearingTopic: h.topic(topology.Clearing), SagaEvents: h.topic(topology.SagaEvents),
		ProjectorGroup: h.projectorGroup, Conn: h.conn, Registry: h.reg,
		Schedule: clearing.Schedule{Window: 24 * time.Hour, Cutoff: cutoffAt(now.Add(12 * time.Hour))},
		FilesDir: h.dir, ProjectorWait: 30 * time.Second,
		Now: func() time.Time { return now.Add(13 * time.Hour) },
	}
}

// cutoffAt returns the Beijing time of day of t, in whole minutes, as a
// clearing cut-off.
func cutoffAt(t time.Time) time.Duration {
	bj := t.In(clearing.Beijing)
	c := time.Duration(bj.Hour())*time.Hour + time.Duration(bj.Minute())*time.Minute
	if c == 0 {
		return 24 * time.Hour
	}
	return c
}

func start(t *testing.T) *harness {
	t.Helper()
	began := time.Now()
	brokers := kafkatest.Brokers(t)
	top, err := topology.New(topology.Config{Prefix: kafkatest.UniqueTopic(t, "recon") + ".", Partitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	if _, err := topology.Ensure(ctx, brokers, top, topology.EnsureOptions{Create: true}); err != nil {
		t.Fatal(err)
	}
	conn, _ := chtest.Open(t)
	if _, err := migrate.Apply(ctx, conn, clickhouseMigrations(t)); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, ctx: ctx, began: began, brokers: brokers, top: top, conn: conn, reg: events.Catalog(),
		projectorGroup: top.Prefix + "projector", dir: t.TempDir()}

	// Every leg and reversal crosses a faulty link: 15% of requests are
	// lost on the way, 15% of replies are lost, and every status query is
	// answered unknown, so a lost message always ends presumed.
	h.cfg = app.Config{
		Kafka:                 config.Kafka{Brokers: brokers, Topology: top, AdminTimeout: 10 * time.Second},
		Secrets:               config.Secrets{PayerKey: "test-payer-key-secret", SMS: "test-sms-secret"},
		PayerLink:             banklink.Config{Seed: 21, TimeoutRate: 0.15, LostReplyRate: 0.15, QueryUnknownRate: 1},
		ReserveLink:           banklink.Config{Seed: 23, TimeoutRate: 0.15, LostReplyRate: 0.15, QueryUnknownRate: 1},
		ClosedReserveAccounts: []string{"RSV-" + chClosed},
		Logger:                slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	h.cfg.Runtime.SessionTimeout = 6 * time.Second
	h.cfg.Runtime.HeartbeatInterval = 500 * time.Millisecond
	h.cfg.Saga.LegTimeout = 300 * time.Millisecond
	h.cfg.Saga.QueryInterval = 200 * time.Millisecond
	h.cfg.Saga.PayerFinalTimeout = 2 * time.Second
	h.cfg.Saga.ReserveFinalTimeout = 2 * time.Second

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 2)
	go func() { done <- app.Run(runCtx, h.cfg, false) }()
	p, err := projector.New(projector.Config{
		Name: "projector", GroupPrefix: top.Prefix, Brokers: brokers,
		Topics: []string{h.topic(topology.SagaEvents), h.topic(topology.PayerEvts), h.topic(topology.ResEvents), h.topic(topology.Clearing)},
		Conn:   conn, Mapper: tables.Mapper{}, Registry: h.reg,
		MaxDelay: 100 * time.Millisecond, SessionTimeout: 6 * time.Second, HeartbeatInterval: 500 * time.Millisecond,
		Logger: h.cfg.Logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- p.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		for range 2 {
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("processors or projector stopped with: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("processors or projector did not stop within 30s")
				return
			}
		}
	})

	if h.deriver, err = payerkey.NewDeriver(h.cfg.Secrets.PayerKey); err != nil {
		t.Fatal(err)
	}
	h.client = channel.NewClient(brokers, nil, top.Name(topology.Requests))
	t.Cleanup(func() { h.client.Close() })
	if h.outcomes, err = channel.Watch(runCtx, brokers, nil, top.Name(topology.Outcomes)); err != nil {
		t.Fatal(err)
	}
	return h
}

func clickhouseMigrations(t *testing.T) fs.FS {
	t.Helper()
	sub, err := fs.Sub(schemas.ClickHouse, "clickhouse")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func (h *harness) topic(rel string) string { return h.top.Name(rel) }

func (h *harness) reconcileConfig() reconcile.Config {
	return reconcile.Config{
		Brokers: h.brokers,
		Topics: reconcile.Topics{
			Clearing: h.topic(topology.Clearing), SagaEvents: h.topic(topology.SagaEvents),
			SagaInbox: h.topic(topology.SagaInbox), ReserveInbox: h.topic(topology.ResInbox),
		},
		ProjectorGroup: h.projectorGroup, Conn: h.conn, Registry: h.reg, ProjectorWait: 30 * time.Second,
	}
}

func (h *harness) openAccount(number, balance string) bankadmin.Account {
	h.t.Helper()
	a := bankadmin.Account{Number: number, HolderName: "Li Si " + number[len(number)-4:], IDNumber: "11010519491231002X",
		Phone: "139" + number[len(number)-8:], OpeningBalance: events.CNY(balance)}
	if err := bankadmin.OpenAccounts(h.ctx, h.brokers, nil, h.topic(topology.PayerInbox), h.deriver, []bankadmin.Account{a}); err != nil {
		h.t.Fatal(err)
	}
	return a
}

func (h *harness) sign(channelID string, a bankadmin.Account) string {
	h.t.Helper()
	h.seq++
	ctx, cancel := context.WithTimeout(h.ctx, 60*time.Second)
	defer cancel()
	no, err := channel.SignAndConfirm(ctx, h.client, h.outcomes, channelID, fmt.Sprintf("signing-%d", h.seq), events.SignAgreementBody{
		PayerAccount: a.Number, HolderName: a.HolderName, IDNumber: a.IDNumber, Phone: a.Phone,
		PerPaymentLimit: events.CNY("5000.00"), DailyLimit: events.CNY("50000.00"),
	}, func(signingID string) string { return payerbank.SMSCode(h.cfg.Secrets.SMS, signingID) })
	if err != nil {
		h.t.Fatal(err)
	}
	return no
}

func (h *harness) send(reqs ...events.Request) {
	h.t.Helper()
	if err := h.client.Send(h.ctx, reqs...); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) wait(orderID string, ok func(events.Outcome) bool) events.Outcome {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, 60*time.Second)
	defer cancel()
	out, err := h.outcomes.Wait(ctx, orderID, ok)
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// reconcile reconciles a bank's statement file, as paycore reconcile does.
func (h *harness) reconcile(batchID, bank, path string) reconcile.Result {
	h.t.Helper()
	f, err := os.Open(path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	st, err := reconcile.ParseStatement(f, bank)
	if err != nil {
		h.t.Fatal(err)
	}
	res, err := reconcile.Reconcile(h.ctx, h.reconcileConfig(), batchID, st)
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

func (h *harness) clearingLog() *clearing.Log {
	h.t.Helper()
	l, err := clearing.ReadLog(h.ctx, h.brokers, nil, h.topic(topology.Clearing), h.reg)
	if err != nil {
		h.t.Fatal(err)
	}
	return l
}

// bankTruth reads the banks' event logs from Kafka and returns, per bank
// and transaction, the bank's last word in the projected leg kinds:
// reversed, debited or refused at the payer bank; credited or refused at
// the reserve bank.
func (h *harness) bankTruth() map[string]map[string]string {
	h.t.Helper()
	truth := map[string]map[string]string{events.BankPayer: {}, events.BankReserve: {}}
	rank := map[string]int{tables.PayerRefused: 1, tables.PayerDebited: 2, tables.PayerReversed: 3}
	for bank, topic := range map[string]string{events.BankPayer: h.topic(topology.PayerEvts), events.BankReserve: h.topic(topology.ResEvents)} {
		err := logscan.Scan(h.ctx, h.brokers, nil, topic, func(m kafka.Message) error {
			env, err := events.UnmarshalOwn(m.Value)
			if err != nil {
				return err
			}
			p, err := h.reg.DecodeOwn(env)
			if err != nil {
				return err
			}
			txn, kind := "", ""
			switch e := p.(type) {
			case events.PayerDebited:
				txn, kind = e.TxnID, tables.PayerDebited
			case events.PayerDebitRefused:
				txn, kind = e.TxnID, tables.PayerRefused
			case events.PayerDebitReversed:
				txn, kind = e.TxnID, tables.PayerReversed
			case events.ReserveCredited:
				txn, kind = e.TxnID, tables.ReserveCredited
			case events.ReserveCreditRefused:
				txn, kind = e.TxnID, tables.ReserveRefused
			default:
				return nil
			}
			if rank[kind] >= rank[truth[bank][txn]] {
				truth[bank][txn] = kind
			}
			return nil
		})
		if err != nil {
			h.t.Fatal(err)
		}
	}
	return truth
}

// sagaHandlesCorrections is the capability check for the corrections: a
// saga handler is asked to handle a saga.correct_payment for a payment it
// does not know. A saga without corrections refuses the type with
// saga.ErrUnexpectedMessage, its error for a message type without a case;
// a saga with them decides on the command (here: ignores it, or refuses
// it for another reason, which the assertions that follow will expose).
func (h *harness) sagaHandlesCorrections() bool {
	h.t.Helper()
	top := h.top
	sh, err := saga.New(saga.Config{Topics: saga.Topics{
		SagaInbox: top.Name(topology.SagaInbox), PayerInbox: top.Name(topology.PayerInbox),
		ReserveInbox: top.Name(topology.ResInbox), Outcomes: top.Name(topology.Outcomes), Rejects: top.Name(topology.Rejects),
	}}, h.reg)
	if err != nil {
		h.t.Fatal(err)
	}
	txn := events.DeriveID("capability-check")
	cmd := events.CorrectPayment{TxnID: txn, BatchID: "B20260302-2300", Action: events.ActionRefundCustomer, DiscrepancyID: events.DeriveID("d")}
	now := time.Now().UTC()
	env, err := h.reg.New(txn, 1, cmd, events.Meta{ID: events.DeriveID("c"), CorrelationID: txn, CausationID: txn, OccurredAt: now})
	if err != nil {
		h.t.Fatal(err)
	}
	_, err = sh.Handle(processor.Message{Topic: top.Name(topology.SagaInbox), Envelope: env, Payload: cmd, Time: now})
	return !errors.Is(err, saga.ErrUnexpectedMessage)
}

// reserveBankPostsSummaries is the capability check for the summarized
// postings: a reserve bank handler, given a reserve.post_summary for an
// account it has never posted to, records reserve.summary_posted.
func (h *harness) reserveBankPostsSummaries() bool {
	h.t.Helper()
	factory, err := reservebank.NewFactory(reservebank.Config{Topics: reservebank.Topics{SagaInbox: h.topic(topology.SagaInbox), ReserveInbox: h.topic(topology.ResInbox)}}, h.reg)
	if err != nil {
		h.t.Fatal(err)
	}
	cmd := events.PostReserveSummary{ReserveAccount: "RSV-CAPABILITY", BatchID: "B20260302-2300", Amount: events.CNY("1.00"), Credits: 1}
	now := time.Now().UTC()
	id := events.DeriveID("capability-check", "post_summary")
	env, err := h.reg.New(cmd.ReserveAccount, 1, cmd, events.Meta{ID: id, CorrelationID: id, CausationID: id, OccurredAt: now})
	if err != nil {
		h.t.Fatal(err)
	}
	out, err := factory(0).Handle(processor.Message{Topic: h.topic(topology.ResInbox), Envelope: env, Payload: cmd, Time: now})
	return err == nil && len(out.Events) == 1 && out.Events[0].Type == events.ReserveSummaryPosted{}.EventType()
}

// checkPostings waits until ClickHouse holds a reserve.summary_posted for
// every posting sent, with its amount and credits, each account's first.
func (h *harness) checkPostings(sent []events.PostReserveSummary) {
	h.t.Helper()
	want := map[string]string{}
	for _, p := range sent {
		want[p.ReserveAccount+" "+p.BatchID] = fmt.Sprintf("%s %d %s", p.Amount, p.Credits, p.Amount)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := map[string]string{}
		rows, err := h.conn.Query(h.ctx, "SELECT reserve_account, batch_id, amount, credits, balance_after FROM reserve_postings FINAL")
		if err != nil {
			h.t.Fatal(err)
		}
		for rows.Next() {
			var account, batch string
			var amount, balance decimal.Decimal
			var credits uint64
			if err := rows.Scan(&account, &batch, &amount, &credits, &balance); err != nil {
				h.t.Fatal(err)
			}
			got[account+" "+batch] = fmt.Sprintf("%s %d %s", amount.StringFixed(2), credits, balance.StringFixed(2))
		}
		rows.Close()
		if maps.Equal(got, want) {
			h.t.Logf("reserve_postings: %v", got)
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("reserve_postings after 30s: %v, want %v", got, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitProjected waits for the projector to catch up with topics.
func (h *harness) waitProjected(topics ...string) {
	h.t.Helper()
	if err := clearing.WaitProjected(h.ctx, h.brokers, nil, h.projectorGroup, topics, 30*time.Second); err != nil {
		h.t.Fatal(err)
	}
}

// queryString runs a query returning one String.
func (h *harness) queryString(query string) string {
	h.t.Helper()
	var s string
	if err := h.conn.QueryRow(h.ctx, query).Scan(&s); err != nil {
		h.t.Fatalf("%s: %v", query, err)
	}
	return s
}

// waitCorrected waits until ClickHouse holds a payment.corrected for every
// transaction of want and returns the action each ended with.
func (h *harness) waitCorrected(want map[string]string) map[string]string {
	h.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		rows, err := h.conn.Query(h.ctx, "SELECT txn_id, action FROM payment_corrections FINAL WHERE stage = 'corrected'")
		if err != nil {
			h.t.Fatal(err)
		}
		got := map[string]string{}
		for rows.Next() {
			var txn, action string
			if err := rows.Scan(&txn, &action); err != nil {
				h.t.Fatal(err)
			}
			got[txn] = action
		}
		rows.Close()
		missing := 0
		for txn := range want {
			if _, ok := got[txn]; !ok {
				missing++
			}
		}
		if missing == 0 {
			return got
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%d of %d corrections have no payment.corrected in ClickHouse after 45s (have %v, want %v)", missing, len(want), got, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
