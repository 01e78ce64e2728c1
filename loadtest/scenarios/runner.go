package scenarios

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/loadtest/internal/topics"
	"github.com/paycore/paycore/services/admission"
	"github.com/paycore/paycore/services/app"
	"github.com/paycore/paycore/services/audit"
	"github.com/paycore/paycore/services/bankadmin"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/grouplag"
	"github.com/paycore/paycore/services/logscan"
	"github.com/paycore/paycore/services/payerbank"
	"github.com/paycore/paycore/services/saga"
	"github.com/paycore/paycore/services/topology"
	"github.com/segmentio/kafka-go"
)

// Config is one scenario run.
type Config struct {
	Name    string
	Brokers []string
	// Connector authenticates and encrypts the Kafka connections; nil is
	// plaintext. (Reserve funding is sent in plaintext: bankadmin's
	// FundReserves takes no connector.)
	Connector   *kafkaconn.Connector
	Prefix      string // a fresh topic prefix per run
	Partitions  int
	Replication int // replication factor of the created topics (1: one broker)
	// Instances of the whole processor set run in this process and share
	// the consumer groups.
	Instances  int
	Seed       uint64
	Population Population
	Mix        Mix
	// Schedule is the open-loop arrival schedule; Closed replaces it when
	// Closed.Requests > 0.
	Schedule Schedule
	Closed   ClosedLoop
	// Burst, when set, publishes a same-customer refund burst.
	Burst *Burst
	// RestartAt > 0 stops every instance at that offset and starts them
	// again at once. No snapshot is ever taken in such a run, so each new
	// owner replays its partitions' whole event logs while arrivals go on:
	// the full replay of a restart in the middle of the peak.
	RestartAt time.Duration
	Faults    banklink.Config  // both bank links
	Saga      saga.Config      // timeouts; zero: the defaults
	Admission admission.Config // the intake's admission gate; zero: the defaults
	// Drain bounds the wait for outstanding outcomes after the last
	// arrival.
	Drain    time.Duration
	LagEvery time.Duration // lag sampling interval
	Senders  int           // goroutines publishing requests
	Audit    bool
	// SnapshotEvery overrides the runtime's events between snapshots
	// (0: its default, 50,000).
	SnapshotEvery int
	// KeepTopics leaves the run's topics on the broker (to inspect them);
	// by default Run deletes them before it returns.
	KeepTopics bool
	Logf       func(format string, args ...any)
}

// ClosedLoop sends Requests as fast as the system finishes them, with at
// most InFlight unfinished, in batches of Batch: it measures capacity,
// where the open loop measures behaviour at a given rate.
type ClosedLoop struct{ Requests, InFlight, Batch int }

// Burst is the bulk-refund incident: an institution publishes Refunds
// refunds of 1.00 for one customer in a single produce call at offset
// At, spread over Payments payments of 100.00 the customer made before
// the run (so no refund can exceed its payment).
type Burst struct {
	At                time.Duration
	Refunds, Payments int
}

// KindBurst times the refunds of a Burst apart from the stream's.
const KindBurst Kind = "refund_burst"

func (c *Config) setDefaults() {
	if c.Partitions == 0 {
		c.Partitions = 3
	}
	if c.Replication == 0 {
		c.Replication = 1
	}
	if c.Instances == 0 {
		c.Instances = 1
	}
	if c.Drain == 0 {
		c.Drain = time.Minute
	}
	if c.LagEvery == 0 {
		c.LagEvery = time.Second
	}
	if c.Senders == 0 {
		c.Senders = 4
	}
	if c.Closed.Requests > 0 {
		if c.Closed.InFlight == 0 {
			c.Closed.InFlight = 2000
		}
		if c.Closed.Batch == 0 {
			c.Closed.Batch = 250
		}
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
}

// Result is what one run measured.
type Result struct {
	Name       string
	Partitions int
	Instances  int
	Brokers    int
	// Elapsed runs from the first planned arrival to the last final
	// outcome.
	Elapsed  time.Duration
	Sent     map[Kind]int
	Finished int
	Latency  map[Kind]Summary
	Statuses map[Kind]map[string]int
	// Missing were sent but had no final outcome by the end of the drain.
	Missing    int
	SendErrors int
	// Substituted counts refunds and signings drawn when nothing was
	// refundable yet or no newcomer was left: they were sent as payments.
	Substituted int
	// SenderDelay is how late batches were published against the
	// schedule (open loop): near zero, or the generator itself was the
	// bottleneck and the latencies flatter the system.
	SenderDelay Summary
	Lag         []LagSample
	LagErrors   int
	LagLastErr  error
	// Offered and Done are arrivals planned and final outcomes read, per
	// second of the run.
	Offered []int
	Done    []int
	// RecordsWritten counts every record the run wrote to every topic
	// after the setup (requests, commands, events, replies, outcomes).
	RecordsWritten int64
	Rebuilds       []Rebuild // after a restart
	Admission      Admission // the intake's admission gates over the run
	RestartAt      time.Duration
	Schedule       Schedule
	Burst          *Burst
	Audit          *audit.Report
}

// Throughput is final outcomes per second over the run.
func (r Result) Throughput() float64 { return float64(r.Finished) / r.Elapsed.Seconds() }

// RecordsPerSecond is the record rate the run put on the broker.
func (r Result) RecordsPerSecond() float64 { return float64(r.RecordsWritten) / r.Elapsed.Seconds() }

// Errors sums what went wrong on the way: rejections, failures and
// presumed statuses, unanswered and unsent requests.
func (r Result) Errors() int {
	n := r.Missing + r.SendErrors
	for _, m := range r.Statuses {
		for s, c := range m {
			switch s {
			case events.StatusSuccess, events.StatusSigned:
			default:
				n += c
			}
		}
	}
	return n
}

// item is one request on its way.
type item struct {
	order string
	kind  Kind
	req   events.Request
}

// refundable is a successful payment that can be refunded.
type refundable struct {
	txn    string
	amount events.Money
	inst   int
}

// newcomer is an opened account waiting to sign during the run.
type newcomer struct {
	index int // customer index once signed
	inst  int
}

// stream is the run's mutable view of the world the generator draws from.
type stream struct {
	mu         sync.Mutex
	gen        *Generator
	agreements map[int]string
	accounts   []Customer // customers, then newcomers (Institution set when drawn)
	nextNew    int        // index into accounts of the next newcomer
	signing    map[string]newcomer
	confirmOf  map[string]string // confirm order -> sign order
	paid       []refundable
	instOf     map[string]int // pay order -> institution
	amountOf   map[string]events.Money
	seq        int
	tag        string
	subst      int
}

func (s *stream) order(letter string) string {
	s.seq++
	return fmt.Sprintf("%s%s%d", s.tag, letter, s.seq)
}

// next builds the request of the next draw.
func (s *stream) next() item {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.gen.Next()
	switch d.Kind {
	case KindSign:
		if s.nextNew < len(s.accounts) {
			idx := s.nextNew
			s.nextNew++
			o := s.order("s")
			s.signing[o] = newcomer{index: idx, inst: d.Institution}
			return item{o, KindSign, channel.Sign(Channel(d.Institution), o, o, signBody(s.accounts[idx].Account))}
		}
		s.subst++
	case KindRefund:
		if len(s.paid) > 0 {
			i := int(d.Pick % uint64(len(s.paid)))
			p := s.paid[i]
			s.paid[i] = s.paid[len(s.paid)-1]
			s.paid = s.paid[:len(s.paid)-1]
			o := s.order("r")
			return item{o, KindRefund, channel.Refund(Channel(p.inst), o, o, p.txn, RefundOf(p.amount, d.Permille))}
		}
		s.subst++
	}
	payer := d.Customer
	if d.Kind != KindPay {
		payer = s.gen.Payer(d.Institution)
	}
	o := s.order("p")
	s.instOf[o], s.amountOf[o] = d.Institution, d.Amount
	return item{o, KindPay, channel.Pay(Channel(d.Institution), o, o, s.agreements[payer], d.Amount)}
}

// outcome updates the stream with a final outcome: a paid payment becomes
// refundable, a signed newcomer starts paying.
func (s *stream) outcome(order string, kind Kind, o events.Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case kind == KindPay && o.Status == events.StatusSuccess:
		s.paid = append(s.paid, refundable{txn: o.TransactionID, amount: s.amountOf[order], inst: s.instOf[order]})
		delete(s.instOf, order)
		delete(s.amountOf, order)
	case kind == KindPay:
		delete(s.instOf, order)
		delete(s.amountOf, order)
	case kind == KindSign && o.Status == events.StatusSigned:
		n := s.signing[order]
		s.agreements[n.index] = o.AgreementNo
		s.gen.Add(n.inst, n.index, false)
	}
	if kind == KindSign {
		delete(s.signing, order)
	}
}

// Run executes one scenario run: a fresh topology, the processors, the
// population signed and funded, then the arrivals, and the measurements.
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg.setDefaults()
	if err := cfg.Population.Validate(); err != nil {
		return Result{}, err
	}
	if cfg.Closed.Requests == 0 {
		if err := cfg.Schedule.Validate(); err != nil {
			return Result{}, err
		}
	}
	top, err := topology.New(topology.Config{Prefix: cfg.Prefix, Partitions: cfg.Partitions})
	if err != nil {
		return Result{}, err
	}
	if _, err := topology.Ensure(ctx, cfg.Brokers, top, topology.EnsureOptions{
		Create: true, ReplicationFactor: cfg.Replication, Connector: cfg.Connector, Timeout: time.Minute,
	}); err != nil {
		return Result{}, err
	}
	if !cfg.KeepTopics {
		// Measured and audited by the time Run returns; a series of runs
		// must not leave the broker their partitions (internal/topics).
		defer func() { _ = topics.DeleteTopology(context.WithoutCancel(ctx), cfg.Brokers, cfg.Connector, top) }()
	}
	obs := &observer{}
	acfg := app.Config{
		Kafka:     config.Kafka{Brokers: cfg.Brokers, Topology: top, AdminTimeout: 30 * time.Second, Connector: cfg.Connector},
		Secrets:   config.Secrets{PayerKey: "loadtest-payer-key", SMS: "loadtest-sms"},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Saga:      cfg.Saga,
		Admission: cfg.Admission,
		Observer:  obs,
	}
	acfg.PayerLink, acfg.ReserveLink = cfg.Faults, cfg.Faults
	acfg.ReserveLink.Seed++
	acfg.Runtime.SessionTimeout = 6 * time.Second
	acfg.Runtime.HeartbeatInterval = 500 * time.Millisecond
	acfg.Runtime.SnapshotEvery = cfg.SnapshotEvery
	if cfg.RestartAt > 0 {
		acfg.Runtime.SnapshotEvery = math.MaxInt32 // a restart replays the whole log
	}
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	fl := newFleet(acfg, cfg.Instances)
	fl.start(runCtx)
	defer fl.stop()

	// One client for the setup and the run: its connections are warm when
	// the first arrival is due, so the schedule's start is not a dial.
	client := channel.NewClient(cfg.Brokers, cfg.Connector, top.Name(topology.Requests))
	defer client.Close()
	st, burstTxns, err := prepare(runCtx, cfg, acfg, client)
	if err != nil {
		return Result{}, fmt.Errorf("setup: %w", err)
	}
	lagReader := grouplag.NewReader(cfg.Brokers, cfg.Connector, app.Inboxes(top))
	admin := &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Timeout: 5 * time.Second, Transport: cfg.Connector.Transport()}
	setupRecords, err := recordsOf(runCtx, admin, top)
	if err != nil {
		return Result{}, err
	}
	cfg.Logf("%s: setup done (%d customers signed, %d setup records)", cfg.Name, len(st.agreements), setupRecords)

	start := time.Now().Add(200 * time.Millisecond)
	rec := NewRecorder(start)
	if err := follow(runCtx, cfg, acfg, top, st, rec, client); err != nil {
		return Result{}, err
	}
	sampler := NewLagSampler(lagReader, start, cfg.LagEvery)
	lagCtx, stopLag := context.WithCancel(runCtx)
	lagDone := make(chan struct{})
	go func() { defer close(lagDone); sampler.Run(lagCtx) }()

	res := Result{Name: cfg.Name, Partitions: cfg.Partitions, Instances: cfg.Instances, Brokers: len(cfg.Brokers),
		Sent: map[Kind]int{}, Schedule: cfg.Schedule, Burst: cfg.Burst, RestartAt: cfg.RestartAt}
	var resMu sync.Mutex
	var delays []time.Duration
	sendBatch := func(ctx context.Context, items []item) error {
		now := time.Now()
		reqs := make([]events.Request, len(items))
		for i, it := range items {
			rec.Sent(it.order, it.kind, now)
			reqs[i] = it.req
		}
		err := client.Send(ctx, reqs...)
		resMu.Lock()
		defer resMu.Unlock()
		for _, it := range items {
			if err != nil {
				rec.Forget(it.order)
				res.SendErrors++
			} else {
				res.Sent[it.kind]++
			}
		}
		return err
	}

	var events sync.WaitGroup
	var restartedAt time.Time
	if cfg.Burst != nil {
		events.Add(1)
		go func() {
			defer events.Done()
			if sleepUntil(runCtx, start.Add(cfg.Burst.At)) {
				sendBurst(runCtx, cfg, st, burstTxns, sendBatch)
			}
		}()
	}
	if cfg.RestartAt > 0 {
		events.Add(1)
		go func() {
			defer events.Done()
			if sleepUntil(runCtx, start.Add(cfg.RestartAt)) {
				cfg.Logf("%s: stopping every instance", cfg.Name)
				restartedAt = time.Now()
				fl.stop()
				fl.start(runCtx)
				cfg.Logf("%s: restarted after %v", cfg.Name, time.Since(restartedAt).Round(time.Millisecond))
			}
		}()
	}

	var lastArrival time.Time
	if cfg.Closed.Requests > 0 {
		sleepUntil(runCtx, start)
		closedLoop(runCtx, cfg.Closed, st, rec, sendBatch)
		lastArrival = time.Now()
	} else {
		arrivals := cfg.Schedule.Arrivals(cfg.Seed)
		res.Offered = perSecond(arrivals)
		Dispatch(runCtx, start, arrivals, cfg.Senders,
			func(Due) (item, bool) { return st.next(), true },
			sendBatch,
			func(r SendReport[item]) {
				resMu.Lock()
				delays = append(delays, max(r.Began.Sub(r.Due), 0))
				resMu.Unlock()
			})
		lastArrival = start.Add(cfg.Schedule.Duration)
	}
	events.Wait()
	for rec.Open() > 0 && time.Since(lastArrival) < cfg.Drain && runCtx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
	sampler.SampleNow(runCtx)
	stopLag()
	<-lagDone
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}

	res.Missing = rec.Open()
	res.Finished = rec.Finals()
	res.Elapsed = rec.Last().Sub(start)
	res.Latency = map[Kind]Summary{}
	for _, k := range append(Kinds, KindBurst) {
		if s := rec.Summary(k); s.N > 0 {
			res.Latency[k] = s
		}
	}
	res.Statuses = rec.Statuses()
	res.Done = rec.PerSecond()
	res.SenderDelay = Summarize(delays)
	res.Lag, res.LagErrors, res.LagLastErr = sampler.Samples()
	st.mu.Lock()
	res.Substituted = st.subst
	st.mu.Unlock()
	if !restartedAt.IsZero() {
		res.Rebuilds = obs.since(restartedAt)
	}
	res.Admission = obs.admissionSoFar()
	time.Sleep(time.Second) // trailing records (log copies, late replies) land before counting
	written, err := recordsOf(ctx, admin, top)
	if err != nil {
		return Result{}, err
	}
	res.RecordsWritten = written - setupRecords
	fl.stop()
	if err := fl.err(); err != nil {
		return res, fmt.Errorf("processors failed: %w", err)
	}
	if cfg.Audit {
		rep, err := audit.FromKafka(ctx, cfg.Brokers, cfg.Connector, top)
		if err != nil {
			return res, fmt.Errorf("audit: %w", err)
		}
		res.Audit = &rep
	}
	return res, nil
}

// prepare opens and signs the population, funds the reserves and makes
// the burst customer's payments.
func prepare(ctx context.Context, cfg Config, acfg app.Config, client *channel.Client) (*stream, []string, error) {
	top := acfg.Kafka.Topology
	customers := cfg.Population.Roster(cfg.Seed)
	newcomers := expectedSignings(cfg)
	all := append([]Customer(nil), customers...)
	for _, a := range cfg.Population.Accounts(cfg.Seed, len(customers), newcomers) {
		all = append(all, Customer{Account: a})
	}
	var burstAcct []Customer
	if cfg.Burst != nil {
		a := cfg.Population.Accounts(cfg.Seed, len(all), 1)[0]
		burstAcct = []Customer{{Institution: 0, Account: a}}
	}
	accts := make([]bankadmin.Account, 0, len(all)+1)
	for _, c := range append(append([]Customer(nil), all...), burstAcct...) {
		accts = append(accts, c.Account)
	}
	if err := openAccounts(ctx, acfg, accts); err != nil {
		return nil, nil, err
	}
	if err := fundReserves(ctx, acfg, cfg.Population.Institutions, "100000000.00"); err != nil {
		return nil, nil, err
	}
	outcomes, err := channel.Watch(ctx, cfg.Brokers, cfg.Connector, top.Name(topology.Outcomes))
	if err != nil {
		return nil, nil, err
	}
	signCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	nos, err := signAll(signCtx, acfg, client, outcomes, append(append([]Customer(nil), customers...), burstAcct...), 200)
	if err != nil {
		return nil, nil, err
	}
	st := &stream{
		gen: NewGenerator(cfg.Seed, cfg.Population, cfg.Mix, customers), agreements: map[int]string{},
		accounts: all, nextNew: len(customers), signing: map[string]newcomer{}, confirmOf: map[string]string{},
		instOf: map[string]int{}, amountOf: map[string]events.Money{}, tag: top.Prefix,
	}
	for i := range customers {
		st.agreements[i] = nos[i]
	}
	var txns []string
	if cfg.Burst != nil {
		txns, err = payAll(signCtx, acfg, client, outcomes, 0, nos[len(nos)-1], "100.00", cfg.Burst.Payments)
		if err != nil {
			return nil, nil, err
		}
	}
	return st, txns, nil
}

// expectedSignings is how many accounts to open for signings during the
// run: the schedule's expected share, plus a margin.
func expectedSignings(cfg Config) int {
	total := cfg.Mix.Sign + cfg.Mix.Pay + cfg.Mix.Refund
	if cfg.Mix.Sign <= 0 || total <= 0 {
		return 0
	}
	n := float64(cfg.Closed.Requests)
	if n == 0 {
		n = cfg.Schedule.Expected(0, cfg.Schedule.Duration)
	}
	return int(n*cfg.Mix.Sign/total*1.2) + 10
}

// follow reads every outcome of the run: it times final outcomes,
// confirms signings whose SMS was sent (the customer typing the code),
// and feeds paid payments and new agreements back into the stream.
func follow(ctx context.Context, cfg Config, acfg app.Config, top topology.Topology, st *stream, rec *Recorder, client *channel.Client) error {
	msgs, err := logscan.Follow(ctx, cfg.Brokers, cfg.Connector, top.Name(topology.Outcomes))
	if err != nil {
		return err
	}
	confirms := make(chan events.Request, 1<<16)
	go func() {
		for req := range confirms {
			if err := client.Send(ctx, req); err != nil && ctx.Err() == nil {
				cfg.Logf("%s: confirm %s: %v", cfg.Name, req.OrderID, err)
			}
		}
	}()
	go func() {
		defer close(confirms)
		for m := range msgs {
			var o events.Outcome
			if json.Unmarshal(m.Value, &o) != nil {
				continue
			}
			now := time.Now()
			order := o.OrderID
			st.mu.Lock()
			_, signing := st.signing[order]
			if sign, ok := st.confirmOf[order]; ok {
				order = sign
			}
			if signing && o.Status == events.StatusSMSSent {
				c := order + "c"
				st.confirmOf[c] = order
				st.mu.Unlock()
				confirms <- channel.Confirm(o.ChannelID, c, c, o.SigningID, payerbank.SMSCode(acfg.Secrets.SMS, o.SigningID))
				continue
			}
			st.mu.Unlock()
			if !final(o) {
				continue
			}
			if kind, ok := rec.Finished(order, o.Status, now); ok {
				st.outcome(order, kind, o)
			}
		}
	}()
	return nil
}

// final reports a saga's last outcome: a payment's or refund's final
// status, a rejection, or the end of a signing.
func final(o events.Outcome) bool {
	return channel.Final(o) || o.Status == events.StatusSigned || o.Status == events.StatusSigningFailed
}

// closedLoop sends cfg.Requests requests, never more than InFlight
// unfinished.
func closedLoop(ctx context.Context, cl ClosedLoop, st *stream, rec *Recorder, send func(context.Context, []item) error) {
	for sent := 0; sent < cl.Requests && ctx.Err() == nil; {
		if rec.Open()+cl.Batch > cl.InFlight {
			time.Sleep(time.Millisecond)
			continue
		}
		n := min(cl.Batch, cl.Requests-sent)
		items := make([]item, n)
		for i := range items {
			items[i] = st.next()
		}
		_ = send(ctx, items) // counted as send errors
		sent += n
	}
}

// sendBurst publishes the burst's refunds in one produce call.
func sendBurst(ctx context.Context, cfg Config, st *stream, txns []string, send func(context.Context, []item) error) {
	items := make([]item, cfg.Burst.Refunds)
	st.mu.Lock()
	for i := range items {
		o := st.order("b")
		items[i] = item{o, KindBurst, channel.Refund(Channel(0), o, o, txns[i%len(txns)], events.CNY("1.00"))}
	}
	st.mu.Unlock()
	if err := send(ctx, items); err != nil {
		cfg.Logf("%s: burst: %v", cfg.Name, err)
	}
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	select {
	case <-time.After(time.Until(t)):
		return true
	case <-ctx.Done():
		return false
	}
}

// perSecond counts arrivals per second of the schedule.
func perSecond(arrivals []time.Duration) []int {
	var out []int
	for _, a := range arrivals {
		s := int(a / time.Second)
		for len(out) <= s {
			out = append(out, 0)
		}
		out[s]++
	}
	return out
}

// recordsOf sums the end offsets of every topic of top: the topics are
// fresh, so that is every record written so far.
func recordsOf(ctx context.Context, client *kafka.Client, top topology.Topology) (int64, error) {
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, t := range top.Topics {
		for p := 0; p < t.Partitions; p++ {
			req.Topics[t.Name] = append(req.Topics[t.Name], kafka.LastOffsetOf(p))
		}
	}
	resp, err := client.ListOffsets(ctx, req)
	if err != nil {
		return 0, fmt.Errorf("records written: %w", err)
	}
	var total int64
	for topic, ps := range resp.Topics {
		for _, p := range ps {
			if p.Error != nil {
				return 0, fmt.Errorf("records written to %s/%d: %w", topic, p.Partition, p.Error)
			}
			total += p.LastOffset
		}
	}
	return total, nil
}
