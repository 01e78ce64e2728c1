// Package processor runs paycore's partitioned processors on Kafka: the
// single-writer-per-partition, event-sourced loop every aggregate shares.
//
// A processor consumes one inbox topic with a consumer group. For each
// partition p it owns, it first rebuilds the partition's state by folding
// partition p of its event topic (co-partitioned with the inbox), then
// reads the inbox in batches: the Handler decides on each message (pure, no
// I/O, the message's Kafka timestamp as its clock), the runtime folds the
// resulting events into the state, writes every event and outgoing message
// of the batch in one produce call acknowledged by all in-sync replicas,
// and only then commits the inbox offset.
//
// Exactly-once effects come from design, not Kafka transactions: event IDs
// derive from the command and step; a handler recognises a command it has
// already handled (its events are in the state) and answers it again
// instead of deciding again; receivers do the same. A crash between the
// produce and the commit therefore redelivers commands whose effects are
// already in the log, and they change nothing.
package processor

import (
	"time"

	"github.com/paycore/paycore/events"
)

// Message is one inbox record handed to a Handler.
type Message struct {
	Topic     string
	Partition int
	Offset    int64
	Key       []byte
	// Value is the record as received. For envelope inboxes it has been
	// decoded into Envelope and Payload already.
	Value    []byte
	Envelope events.Envelope
	Payload  events.Payload
	// Time is the record's Kafka timestamp. Handlers use it as their clock,
	// so a replay decides exactly as the original run did.
	Time time.Time
}

// Outbound is a record the runtime produces on the handler's behalf.
type Outbound struct {
	Topic string
	Key   string
	Value []byte
	// NotBefore delays the record (simulated bank latency). The runtime
	// keeps delayed records in memory only: a crash loses them, exactly like
	// a reply lost on a real link, and the saga's deadline recovers.
	NotBefore time.Time
}

// Output is what a handler decided for one message.
type Output struct {
	// Events are appended to the processor's event topic, keyed by their
	// AggregateID, and folded into the state with Handler.Apply before the
	// next message is handled.
	Events []events.Envelope
	// Payloads, when given, are the decoded payloads of Events, in the same
	// order. The runtime then folds them as they are instead of decoding
	// every event it just encoded: one JSON decode less per event on the
	// hot path. Leave it nil, or give exactly one payload per event.
	Payloads []events.Payload
	// Messages go to other topics: commands, replies, outcomes, rejects.
	Messages []Outbound
}

// Handler holds the state of one partition and decides on its messages. The
// runtime calls it from one goroutine only; it needs no locks.
type Handler interface {
	// Apply folds one event of the processor's own log into the state. It is
	// called during rebuild and after Handle for the events Handle returned.
	// An event already folded (same aggregate, sequence not newer) must be
	// ignored: after a rebalance two owners may have written it.
	Apply(env events.Envelope, p events.Payload)
	// Handle decides on one inbox message. It must not change the state
	// (Apply does), must be deterministic in (state, msg), and must do no
	// I/O. An error means the message can never be handled (for example an
	// unknown command type); the runtime parks it on the poison topic with
	// the error as reason and goes on.
	Handle(msg Message) (Output, error)
	// Due returns the commands for deadlines that passed at now; the runtime
	// sends them to the processor's own inbox. Handling those commands, not
	// the timer, changes state, so a replay never fires a deadline again.
	// Returning the same command on several ticks is harmless.
	Due(now time.Time) []Outbound
}

// Factory builds the Handler of one partition, empty, before its rebuild.
type Factory func(partition int) Handler

// EnvelopeTo encodes env as an outbound record on topic, keyed by its
// aggregate ID. It panics if env cannot be encoded: handlers build
// envelopes from the registry, so that is a programming error.
func EnvelopeTo(topic string, env events.Envelope) Outbound {
	b, err := events.Marshal(env)
	if err != nil {
		panic("processor: encoding " + env.Type + ": " + err.Error())
	}
	return Outbound{Topic: topic, Key: env.AggregateID, Value: b}
}

// Snapshotter is implemented by handlers whose state can be saved and
// restored, so that taking over a partition means reading its latest
// snapshot plus the event-log tail after it, not the whole log.
type Snapshotter interface {
	// Snapshot encodes everything Apply has built, deterministically (the
	// same state always gives the same bytes).
	Snapshot() ([]byte, error)
	// Restore replaces the state of a fresh handler with a snapshot. After
	// it, the handler decides exactly as the handler that took the
	// snapshot would.
	Restore(snapshot []byte) error
}
