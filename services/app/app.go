// Package app wires paycore's processors onto the Kafka topology: the one
// place that knows which processor reads which topic and writes where. The
// paycore binary, the demo and the integration tests all start processors
// through it, so they run exactly what production runs.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/admission"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/grouplag"
	"github.com/paycore/paycore/services/intake"
	"github.com/paycore/paycore/services/payerbank"
	"github.com/paycore/paycore/services/payerkey"
	"github.com/paycore/paycore/services/processor"
	"github.com/paycore/paycore/services/reservebank"
	"github.com/paycore/paycore/services/saga"
	"github.com/paycore/paycore/services/topology"
)

// Processor names, for Config.Processors and `paycore run --processors`.
const (
	Intake  = "intake"
	Saga    = "saga"
	Payer   = "payer"
	Reserve = "reserve"
)

// AllProcessors lists every processor in start order.
var AllProcessors = []string{Intake, Saga, Payer, Reserve}

// Config is everything needed to run processors.
type Config struct {
	Kafka   config.Kafka
	Secrets config.Secrets
	// PayerLink and ReserveLink set the faults of the links to the
	// simulated payer bank and reserve bank.
	PayerLink, ReserveLink banklink.Config
	// Saga sets timeouts; its Topics are filled in by the app.
	Saga saga.Config
	// ClosedReserveAccounts refuse credits (reserve_account_closed).
	ClosedReserveAccounts []string
	// ReserveAccounts maps channel IDs to reserve accounts.
	ReserveAccounts map[string]string
	// Processors to run; empty means all (with the cutover's when
	// Cutover.Enabled).
	Processors []string
	// Cutover runs the cutover router and the legacy direct path.
	Cutover CutoverConfig
	// Admission tunes the intake's admission gate, which holds requests
	// in the intake's inbox while the processors downstream are behind
	// (package admission); Admission.Off runs without it.
	Admission admission.Config
	// Runtime tunes every processor's runtime (batch, timers, group
	// timeouts); Name, topics, registry and factory are set by the app.
	Runtime  processor.Config
	Observer processor.Observer
	Logger   *slog.Logger
}

// Runners builds the runners of the configured processors.
func Runners(cfg Config) ([]*processor.Runner, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	which, err := selectedProcessors(cfg)
	if err != nil {
		return nil, err
	}
	top := cfg.Kafka.Topology
	reg := events.Catalog()
	payerLink, err := banklink.New(cfg.PayerLink)
	if err != nil {
		return nil, err
	}
	reserveLink, err := banklink.New(cfg.ReserveLink)
	if err != nil {
		return nil, err
	}
	deriver, err := payerkey.NewDeriver(cfg.Secrets.PayerKey)
	if err != nil {
		return nil, err
	}
	var runners []*processor.Runner
	add := func(name, inbox, eventTopic, snapshots string, raw bool, factory processor.Factory) error {
		rc := cfg.Runtime
		rc.Name, rc.Brokers, rc.Inbox, rc.Events, rc.Poison = name, cfg.Kafka.Brokers, inbox, eventTopic, top.Name(topology.Poison)
		rc.Connector = cfg.Kafka.Connector
		rc.Snapshots = snapshots
		rc.ChainKey = cfg.Secrets.Chain
		rc.GroupPrefix = top.Prefix
		rc.RawInbox, rc.Registry, rc.Factory = raw, reg, factory
		rc.Observer, rc.Logger = cfg.Observer, cfg.Logger
		if name == Intake {
			rc.Admission = admissionGate(cfg, which)
		}
		r, err := processor.New(rc)
		if err != nil {
			return err
		}
		runners = append(runners, r)
		return nil
	}
	for _, w := range which {
		var factory processor.Factory
		var err error
		switch w {
		case Intake:
			ic := intake.Config{
				Topics: intake.Topics{
					SagaInbox: top.Name(topology.SagaInbox), PayerInbox: top.Name(topology.PayerInbox),
					Outcomes: top.Name(topology.Outcomes), Rejects: top.Name(topology.Rejects),
				},
				Deriver: deriver, ReserveAccounts: cfg.ReserveAccounts,
			}
			if err = cutoverIntake(&ic, cfg); err == nil {
				factory, err = intake.NewFactory(ic, reg)
			}
			if err == nil {
				err = add(Intake, top.Name(topology.Requests), "", "", true, factory)
			}
		case Saga:
			sc := cfg.Saga
			sc.Topics = saga.Topics{
				SagaInbox: top.Name(topology.SagaInbox), PayerInbox: top.Name(topology.PayerInbox),
				ReserveInbox: top.Name(topology.ResInbox), Outcomes: top.Name(topology.Outcomes),
				Rejects: top.Name(topology.Rejects),
			}
			factory, err = saga.NewFactory(sc, reg)
			if err == nil {
				err = add(Saga, top.Name(topology.SagaInbox), top.Name(topology.SagaEvents), top.Name(topology.SagaSnaps), false, factory)
			}
		case Payer:
			factory, err = payerbank.NewFactory(payerbank.Config{
				Topics: payerbank.Topics{SagaInbox: top.Name(topology.SagaInbox), Outcomes: top.Name(topology.Outcomes),
					LegacyReplies: top.Name(topology.LegacyReplies), DirectInbox: top.Name(topology.DirectInbox)},
				Link: payerLink, SMSSecret: cfg.Secrets.SMS,
			}, reg)
			if err == nil {
				err = add(Payer, top.Name(topology.PayerInbox), top.Name(topology.PayerEvts), top.Name(topology.PayerSnaps), false, factory)
			}
		case Router, Direct:
			err = addCutoverRunner(w, cfg, reg, add)
		case Reserve:
			factory, err = reservebank.NewFactory(reservebank.Config{
				Topics: reservebank.Topics{SagaInbox: top.Name(topology.SagaInbox), ReserveInbox: top.Name(topology.ResInbox)},
				Link:   reserveLink, ClosedAccounts: cfg.ClosedReserveAccounts,
				// One setting for both sides: the saga picks the sub-account
				// a refund debits, the bank lays its ring over them.
				SubAccounts: cfg.Saga.ReserveSubAccounts,
			}, reg)
			if err == nil {
				err = add(Reserve, top.Name(topology.ResInbox), top.Name(topology.ResEvents), top.Name(topology.ResSnaps), false, factory)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", w, err)
		}
	}
	return runners, nil
}

// admissionGate returns the intake's admission gate over the lag of every
// processor downstream of it, or nil when Admission.Off. It watches them
// whether or not this instance runs them: in a split deployment the
// intake's instances hold requests for sagas running elsewhere.
func admissionGate(cfg Config, which []string) processor.Admission {
	if cfg.Admission.Off {
		return nil
	}
	downstream := []string{Saga, Payer, Reserve}
	if cfg.Cutover.Enabled || slices.Contains(which, Router) {
		downstream = append(downstream, Router, Direct)
	}
	ac := cfg.Admission
	if obs, ok := cfg.Observer.(admission.Observer); ok && ac.Observer == nil {
		ac.Observer = obs
	}
	if ac.Logger == nil {
		ac.Logger = cfg.Logger
	}
	return admission.New(ac, grouplag.NewReader(cfg.Kafka.Brokers, cfg.Kafka.Connector, inboxesOf(cfg.Kafka.Topology, downstream)))
}

// Run checks the topology (creating missing topics when create is true),
// then runs the configured processors until ctx ends or one fails; a
// failure stops the others and is returned.
func Run(ctx context.Context, cfg Config, create bool) error {
	if _, err := topology.Ensure(ctx, cfg.Kafka.Brokers, cfg.Kafka.Topology, topology.EnsureOptions{
		Timeout: cfg.Kafka.AdminTimeout, Create: create, Connector: cfg.Kafka.Connector,
	}); err != nil {
		return err
	}
	rulesCtx, stopRules := context.WithCancel(ctx)
	defer stopRules()
	if err := followRules(rulesCtx, &cfg); err != nil {
		return err
	}
	runners, err := Runners(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, len(runners))
	for _, r := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Run(ctx); err != nil {
				errs <- err
				cancel()
			}
		}()
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

// Inboxes returns the consumer group and inbox topic of each of the four
// processors of top (group = topic prefix + processor name, as Runners
// names them), for reading their lag from outside (package grouplag).
func Inboxes(top topology.Topology) []grouplag.Inbox {
	return inboxesOf(top, AllProcessors)
}

// inboxesOf returns the inboxes of the named processors.
func inboxesOf(top topology.Topology, processors []string) []grouplag.Inbox {
	topics := map[string]string{
		Intake: topology.Requests, Saga: topology.SagaInbox, Payer: topology.PayerInbox,
		Reserve: topology.ResInbox, Router: topology.CutoverInbox, Direct: topology.DirectInbox,
	}
	out := make([]grouplag.Inbox, 0, len(processors))
	for _, p := range processors {
		name := top.Name(topics[p])
		tp, _ := top.Topic(name)
		out = append(out, grouplag.Inbox{Processor: p, Group: top.Prefix + p, Topic: name, Partitions: tp.Partitions})
	}
	return out
}
