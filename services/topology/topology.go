// Package topology declares every Kafka topic paycore uses (name,
// partition count, retention) and checks the broker against that
// declaration at start-up.
//
// Processors follow one pattern: a processor consumes its inbox topic and
// appends what it decided to its event topic; both are keyed by the
// aggregate key and co-partitioned, so the owner of inbox partition p owns
// event partition p and can rebuild the state of its aggregates from it. A
// co-partitioned group whose topics disagree on partition count would send a
// command and its aggregate's events to different owners; Ensure refuses to
// run on such a broker and says how to fix it.
package topology

import (
	"fmt"
	"sort"
	"strings"
)

// Retention says how long a topic keeps its records.
type Retention struct{ name string }

var (
	// RetainForever is for event logs and anything an operator may need to
	// replay: Kafka is the source of truth, nothing expires.
	RetainForever = Retention{"forever"}
	// Compacted keeps the latest record per key (snapshots).
	Compacted = Retention{"compacted"}
	// RetainWeek is for transient traffic (inboxes whose effects are
	// recorded as events, outcomes already delivered to channels).
	RetainWeek = Retention{"7d"}
)

func (r Retention) String() string { return r.name }

// configs returns the topic-level settings for r.
func (r Retention) configs() map[string]string {
	switch r {
	case RetainForever:
		return map[string]string{"cleanup.policy": "delete", "retention.ms": "-1", "retention.bytes": "-1"}
	case Compacted:
		return map[string]string{"cleanup.policy": "compact"}
	case RetainWeek:
		return map[string]string{"cleanup.policy": "delete", "retention.ms": "604800000"}
	}
	panic("topology: unknown retention " + r.name)
}

// Topic is one declared topic.
type Topic struct {
	Name       string
	Partitions int
	Retention  Retention
	// Group names the co-partitioned group the topic belongs to ("" for
	// none). All topics of a group must have the same partition count.
	Group string
	// Purpose is shown by `paycore topics` for operators.
	Purpose string
}

// Topology is the full set of declared topics.
type Topology struct {
	Prefix string
	Topics []Topic
}

// Names of the topics, relative to the prefix. Using these constants (and
// Topology.Name) instead of string literals makes a typo a compile error.
const (
	Requests   = "requests"
	Outcomes   = "outcomes"
	Rejects    = "rejects"
	Poison     = "poison"
	Probes     = "diagnostics.probes"
	SagaInbox  = "saga.inbox"
	SagaEvents = "saga.events"
	SagaSnaps  = "saga.snapshots"
	PayerInbox = "payer.inbox"
	PayerEvts  = "payer.events"
	PayerSnaps = "payer.snapshots"
	ResInbox   = "reserve.inbox"
	ResEvents  = "reserve.events"
	ResSnaps   = "reserve.snapshots"
	Clearing   = "clearing.events"

	// Cutover: routing rules, routing decisions, the legacy direct path.
	CutoverRules  = "cutover.rules"
	CutoverInbox  = "cutover.inbox"
	CutoverEvents = "cutover.events"
	CutoverSnaps  = "cutover.snapshots"
	DirectInbox   = "direct.inbox"
	DirectEvents  = "direct.events"
	DirectSnaps   = "direct.snapshots"
	// LegacyMaps and LegacyReplies serve the migration of stock
	// agreements (services/legacy).
	LegacyMaps    = "legacy.mappings"
	LegacyReplies = "legacy.replies"
)

// Config sizes the default topology.
type Config struct {
	// Prefix is prepended to every topic name ("paycore." by default), so
	// that several environments can share a cluster.
	Prefix string
	// Partitions is the partition count of every partitioned topic: the
	// ceiling on how many instances can share the work of one processor.
	Partitions int
}

func (c *Config) setDefaults() {
	if c.Prefix == "" {
		c.Prefix = "paycore."
	}
	if c.Partitions == 0 {
		c.Partitions = 12
	}
}

// Validate reports a configuration that cannot produce a usable topology.
func (c Config) Validate() error {
	if c.Partitions < 1 || c.Partitions > 1024 {
		return fmt.Errorf("topology: partitions must be in 1..1024, got %d", c.Partitions)
	}
	if strings.ContainsAny(c.Prefix, " /\\") {
		return fmt.Errorf("topology: prefix %q contains a character Kafka does not allow", c.Prefix)
	}
	return nil
}

// New returns paycore's topology for cfg.
func New(cfg Config) (Topology, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return Topology{}, err
	}
	n := cfg.Partitions
	t := Topology{Prefix: cfg.Prefix}
	add := func(name string, partitions int, r Retention, group, purpose string) {
		t.Topics = append(t.Topics, Topic{Name: cfg.Prefix + name, Partitions: partitions, Retention: r, Group: group, Purpose: purpose})
	}
	add(Requests, n, RetainForever, "", "requests published by upstream channels (JSON, see schemas/requests)")
	add(Outcomes, n, RetainForever, "", "one outcome per request, keyed by the channel's order ID")
	add(Rejects, n, RetainForever, "", "every rejected or malformed request, verbatim, with its reason code")
	add(Poison, 1, RetainForever, "", "messages a processor could not handle after bounded retries")
	add(Probes, 1, RetainWeek, "", "diagnostic probes (paycore probe)")
	add(Clearing, 1, RetainForever, "", "clearing batches, settlement instructions, reconciliation results (one writer: paycore clearing/reconcile)")
	add(CutoverRules, 1, RetainForever, "", "cutover routing rules, one version per record (paycore cutover publish)")
	add(LegacyMaps, n, RetainForever, "", "legacy agreement number -> NetsUnion agreement number, keyed by legacy number (one writer: paycore legacy import)")
	add(LegacyReplies, 1, RetainWeek, "", "the payer bank's answers to legacy agreement imports, read by paycore legacy import")
	for _, g := range []struct{ inbox, events, snaps, group, what string }{
		{SagaInbox, SagaEvents, SagaSnaps, "saga", "payment and signing sagas, keyed by transaction ID"},
		{PayerInbox, PayerEvts, PayerSnaps, "payer", "payer bank: accounts, agreements, payer legs; keyed by account token"},
		{ResInbox, ResEvents, ResSnaps, "reserve", "reserve bank: reserve legs, keyed by transaction ID"},
		{CutoverInbox, CutoverEvents, CutoverSnaps, "cutover", "cutover router: each payment's first routing decision, keyed by transaction ID"},
		{DirectInbox, DirectEvents, DirectSnaps, "direct", "legacy direct path: direct payments and legacy refunds keyed by transaction ID, institutions' legacy ledgers"},
	} {
		add(g.inbox, n, RetainWeek, g.group, "commands and replies for "+g.what)
		add(g.events, n, RetainForever, g.group, "event log of "+g.what)
		add(g.snaps, n, Compacted, g.group, "snapshots of "+g.what)
	}
	return t, t.validate()
}

// Name returns the full name of a topic declared under the relative name
// rel (one of the constants above). It panics on an undeclared name: that
// is a programming error.
func (t Topology) Name(rel string) string {
	full := t.Prefix + rel
	for _, tp := range t.Topics {
		if tp.Name == full {
			return full
		}
	}
	panic("topology: undeclared topic " + rel)
}

// Topic returns the declaration of a full topic name.
func (t Topology) Topic(full string) (Topic, bool) {
	for _, tp := range t.Topics {
		if tp.Name == full {
			return tp, true
		}
	}
	return Topic{}, false
}

// validate checks the declaration itself: unique names and co-partitioned
// groups with equal partition counts.
func (t Topology) validate() error {
	seen := map[string]bool{}
	groups := map[string]int{}
	for _, tp := range t.Topics {
		if seen[tp.Name] {
			return fmt.Errorf("topology: topic %s declared twice", tp.Name)
		}
		seen[tp.Name] = true
		if tp.Group == "" {
			continue
		}
		if n, ok := groups[tp.Group]; ok && n != tp.Partitions {
			return fmt.Errorf("topology: group %s mixes %d and %d partitions", tp.Group, n, tp.Partitions)
		}
		groups[tp.Group] = tp.Partitions
	}
	return nil
}

// Groups returns the co-partitioned groups and their topics, sorted.
func (t Topology) Groups() map[string][]Topic {
	out := map[string][]Topic{}
	for _, tp := range t.Topics {
		if tp.Group != "" {
			out[tp.Group] = append(out[tp.Group], tp)
		}
	}
	for _, g := range out {
		sort.Slice(g, func(i, j int) bool { return g[i].Name < g[j].Name })
	}
	return out
}
