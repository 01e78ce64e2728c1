package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/cutover"
	"github.com/paycore/paycore/services/directpath"
	"github.com/paycore/paycore/services/intake"
	"github.com/paycore/paycore/services/processor"
	"github.com/paycore/paycore/services/topology"
)

// Processors of the cutover (切量), run only with Cutover.Enabled.
const (
	Router = "cutover" // keeps each payment's first routing decision
	Direct = "direct"  // the legacy direct path and its refunds
)

// CutoverProcessors are the processors Cutover.Enabled adds to the
// default set.
var CutoverProcessors = []string{Router, Direct}

// DefaultRulesCatchUp bounds how long Run waits for the rules follower to
// read the rules in force before it starts the intake.
const DefaultRulesCatchUp = 30 * time.Second

// CutoverConfig turns the cutover on: the intake routes every payment by
// the rules on cutover.rules through the router, and the direct path runs
// in parallel with the sagas. Off (the default), payments go straight to
// the sagas and legacy_refund requests are refused.
//
// Turn it on before the first NetsUnion payment and leave it on while
// channels may still resend requests first routed to the direct path: the
// router is what keeps a resent request on its first path, and without it
// a resent direct payment would start again on NetsUnion.
type CutoverConfig struct {
	Enabled bool
	// Direct sets the direct path's timeouts; its Topics are filled in.
	Direct directpath.Config
	// Rules feeds the intake. Run sets it to a follower of cutover.rules;
	// callers of Runners that run the intake with the cutover set it.
	Rules intake.RouteSource
	// RulesCatchUp bounds Run's wait for the follower to read the rules
	// in force (default DefaultRulesCatchUp).
	RulesCatchUp time.Duration
}

// selectedProcessors returns the processors cfg runs: cfg.Processors, or
// the default set (with the cutover's when enabled).
func selectedProcessors(cfg Config) ([]string, error) {
	known := append(slices.Clone(AllProcessors), CutoverProcessors...)
	which := cfg.Processors
	if len(which) == 0 {
		which = AllProcessors
		if cfg.Cutover.Enabled {
			which = known
		}
	}
	for _, w := range which {
		if !slices.Contains(known, w) {
			return nil, fmt.Errorf("unknown processor %q (known: %v)", w, known)
		}
	}
	return which, nil
}

// cutoverIntake adds the cutover settings to the intake's config.
func cutoverIntake(ic *intake.Config, cfg Config) error {
	if !cfg.Cutover.Enabled {
		return nil
	}
	if cfg.Cutover.Rules == nil {
		return errors.New("the cutover is enabled but Cutover.Rules is not set (app.Run sets it by following the rules topic)")
	}
	top := cfg.Kafka.Topology
	ic.Topics.CutoverInbox, ic.Topics.DirectInbox = top.Name(topology.CutoverInbox), top.Name(topology.DirectInbox)
	ic.Routes = cfg.Cutover.Rules
	return nil
}

// addCutoverRunner builds the runner of the router or the direct path
// with add (see Runners).
func addCutoverRunner(which string, cfg Config, reg *events.Registry, add func(name, inbox, eventTopic, snapshots string, raw bool, factory processor.Factory) error) error {
	top := cfg.Kafka.Topology
	switch which {
	case Router:
		factory, err := cutover.NewRouterFactory(cutover.RouterConfig{Topics: cutover.RouterTopics{
			SagaInbox: top.Name(topology.SagaInbox), DirectInbox: top.Name(topology.DirectInbox),
		}}, reg)
		if err != nil {
			return err
		}
		return add(Router, top.Name(topology.CutoverInbox), top.Name(topology.CutoverEvents), top.Name(topology.CutoverSnaps), false, factory)
	case Direct:
		dc := cfg.Cutover.Direct
		dc.Topics = directpath.Topics{
			DirectInbox: top.Name(topology.DirectInbox), PayerInbox: top.Name(topology.PayerInbox),
			Outcomes: top.Name(topology.Outcomes), Rejects: top.Name(topology.Rejects),
		}
		factory, err := directpath.NewFactory(dc, reg)
		if err != nil {
			return err
		}
		return add(Direct, top.Name(topology.DirectInbox), top.Name(topology.DirectEvents), top.Name(topology.DirectSnaps), false, factory)
	}
	return fmt.Errorf("not a cutover processor: %q", which)
}

// followRules starts following cutover.rules for the intake, when the
// cutover is on, the intake runs and no rule source was given, and waits
// until the follower has read every version published so far: an intake
// routing with an older version would send payments down a path the
// operator already closed.
func followRules(ctx context.Context, cfg *Config) error {
	which, err := selectedProcessors(*cfg)
	if err != nil {
		return err
	}
	if !cfg.Cutover.Enabled || cfg.Cutover.Rules != nil || !slices.Contains(which, Intake) {
		return nil
	}
	top := cfg.Kafka.Topology
	f, err := cutover.Follow(ctx, cfg.Kafka.Brokers, cfg.Kafka.Connector, top.Name(topology.CutoverRules), events.Catalog(), cfg.Logger)
	if err != nil {
		return err
	}
	wait := cfg.Cutover.RulesCatchUp
	if wait == 0 {
		wait = DefaultRulesCatchUp
	}
	waitCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := f.WaitReady(waitCtx); err != nil {
		return err
	}
	cfg.Cutover.Rules = f
	return nil
}
