package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkapubsub/kafkatest"
	"github.com/paycore/paycore/services/app"
	"github.com/paycore/paycore/services/audit"
	"github.com/paycore/paycore/services/bankadmin"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/payerbank"
	"github.com/paycore/paycore/services/payerkey"
	"github.com/paycore/paycore/services/topology"
)

// harness runs every processor in-process against the real broker, on a
// topology of its own (unique topic prefix), and plays the channels and the
// bank's back office.
type harness struct {
	t        *testing.T
	ctx      context.Context
	cfg      app.Config
	client   *channel.Client
	outcomes *channel.Outcomes
	deriver  payerkey.Deriver
	stop     context.CancelFunc
	done     chan error
	seq      int
}

// fastSaga makes deadlines short so that presumptions happen within a test.
func fastSaga(cfg *app.Config) {
	cfg.Saga.LegTimeout = 300 * time.Millisecond
	cfg.Saga.QueryInterval = 200 * time.Millisecond
	cfg.Saga.PayerFinalTimeout = 2 * time.Second
	cfg.Saga.ReserveFinalTimeout = 2 * time.Second
}

func newConfig(t *testing.T, partitions int) app.Config {
	brokers := kafkatest.Brokers(t)
	top, err := topology.New(topology.Config{Prefix: kafkatest.UniqueTopic(t, "e2e") + ".", Partitions: partitions})
	if err != nil {
		t.Fatal(err)
	}
	cfg := app.Config{
		Kafka:   config.Kafka{Brokers: brokers, Topology: top, AdminTimeout: 10 * time.Second},
		Secrets: config.Secrets{PayerKey: "test-payer-key-secret", SMS: "test-sms-secret"},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	cfg.Runtime.SessionTimeout = 6 * time.Second
	cfg.Runtime.HeartbeatInterval = 500 * time.Millisecond
	fastSaga(&cfg)
	return cfg
}

// startHarness creates the topics and starts the processors of cfg.
func startHarness(t *testing.T, cfg app.Config) *harness { return newHarness(t, cfg, true) }

// startHarnessWithout creates the topics but runs no processors: the test
// runs them itself (as separate processes).
func startHarnessWithout(t *testing.T, cfg app.Config) *harness { return newHarness(t, cfg, false) }

func newHarness(t *testing.T, cfg app.Config, run bool) *harness {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	top := cfg.Kafka.Topology
	if _, err := topology.Ensure(ctx, cfg.Kafka.Brokers, top, topology.EnsureOptions{Create: true, Connector: cfg.Kafka.Connector}); err != nil {
		t.Fatal(err)
	}
	d, err := payerkey.NewDeriver(cfg.Secrets.PayerKey)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, ctx: ctx, cfg: cfg, deriver: d, done: make(chan error, 1)}
	h.client = channel.NewClient(cfg.Kafka.Brokers, cfg.Kafka.Connector, top.Name(topology.Requests))
	t.Cleanup(func() { h.client.Close() })
	if h.outcomes, err = channel.Watch(ctx, cfg.Kafka.Brokers, cfg.Kafka.Connector, top.Name(topology.Outcomes)); err != nil {
		t.Fatal(err)
	}
	if !run {
		return h
	}
	runCtx, stop := context.WithCancel(ctx)
	h.stop = stop
	go func() { h.done <- app.Run(runCtx, cfg, false) }()
	t.Cleanup(h.shutdown)
	return h
}

func (h *harness) shutdown() {
	h.stop()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("processors stopped with: %v", err)
		}
		h.done <- nil // later calls return at once
	case <-time.After(30 * time.Second):
		h.t.Error("processors did not stop within 30s")
	}
}

func (h *harness) next(prefix string) string {
	h.seq++
	return fmt.Sprintf("%s-%d", prefix, h.seq)
}

// openAccount opens a customer account at the payer bank.
func (h *harness) openAccount(number, balance string) bankadmin.Account {
	h.t.Helper()
	a := bankadmin.Account{Number: number, HolderName: "Zhang San " + number[len(number)-4:], IDNumber: "11010519491231002X",
		Phone: "138" + number[len(number)-8:], OpeningBalance: events.CNY(balance)}
	if err := bankadmin.OpenAccounts(h.ctx, h.cfg.Kafka.Brokers, h.cfg.Kafka.Connector, h.cfg.Kafka.Topology.Name(topology.PayerInbox), h.deriver, []bankadmin.Account{a}); err != nil {
		h.t.Fatal(err)
	}
	return a
}

// sign runs a whole signing (request, SMS code read off the simulated
// bank, confirmation) and returns the agreement number.
func (h *harness) sign(channelID string, a bankadmin.Account, perPayment, daily string) string {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, 60*time.Second)
	defer cancel()
	no, err := channel.SignAndConfirm(ctx, h.client, h.outcomes, channelID, h.next("signing"), events.SignAgreementBody{
		PayerAccount: a.Number, HolderName: a.HolderName, IDNumber: a.IDNumber, Phone: a.Phone,
		PerPaymentLimit: events.CNY(perPayment), DailyLimit: events.CNY(daily),
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

// pay sends one payment and returns its final outcome.
func (h *harness) pay(channelID, agreementNo, amount string) events.Outcome {
	h.t.Helper()
	order := h.next("pay")
	h.send(channel.Pay(channelID, order, order, agreementNo, events.CNY(amount)))
	return h.wait(order, channel.Final)
}

// audit checks every invariant over the harness's topics.
func (h *harness) audit() audit.Report {
	h.t.Helper()
	rep, err := audit.FromKafka(h.ctx, h.cfg.Kafka.Brokers, h.cfg.Kafka.Connector, h.cfg.Kafka.Topology)
	if err != nil {
		h.t.Fatal(err)
	}
	if !rep.Clean() {
		h.t.Fatalf("audit found violations:\n%s", rep)
	}
	return rep
}
