package clearing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/services/logscan"
	"github.com/segmentio/kafka-go"
)

// ErrConflict is returned by Draft.Add when clearing.events already holds
// an event with the same ID and different contents: a fact that was
// recorded cannot be recorded again differently.
var ErrConflict = errors.New("clearing: event already recorded with other contents")

// Log is the clearing.events topic as read at one moment: every envelope
// by ID, the closed batches, and how far each batch's stream goes.
type Log struct {
	reg     *events.Registry
	byID    map[string]events.Envelope
	closed  map[string]events.BatchClosed
	seq     map[string]uint64 // highest sequence per batch stream
	records int
}

// ReadLog reads every record of topic (clearing.events). A record that
// does not decode fails it: the topic has one writer, paycore, so such a
// record is corruption, and deciding on a partial view could close a
// batch twice.
func ReadLog(ctx context.Context, brokers []string, c *kafkaconn.Connector, topic string, reg *events.Registry) (*Log, error) {
	l := NewLog(reg)
	err := logscan.Scan(ctx, brokers, c, topic, func(m kafka.Message) error {
		env, err := events.UnmarshalOwn(m.Value)
		if err != nil {
			return fmt.Errorf("clearing: %s offset %d: %w", topic, m.Offset, err)
		}
		p, err := reg.DecodeOwn(env)
		if err != nil {
			return fmt.Errorf("clearing: %s offset %d: %w", topic, m.Offset, err)
		}
		l.add(env, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// NewLog returns an empty log, for tests and for a topic never written.
func NewLog(reg *events.Registry) *Log {
	return &Log{reg: reg, byID: map[string]events.Envelope{}, closed: map[string]events.BatchClosed{}, seq: map[string]uint64{}}
}

func (l *Log) add(env events.Envelope, p events.Payload) {
	l.records++
	if _, dup := l.byID[env.ID]; !dup {
		l.byID[env.ID] = env
	}
	l.seq[env.AggregateID] = max(l.seq[env.AggregateID], env.Sequence)
	if c, ok := p.(events.BatchClosed); ok {
		if _, dup := l.closed[c.BatchID]; !dup {
			l.closed[c.BatchID] = c
		}
	}
}

// Closed returns the BatchClosed of a batch, if it was closed.
func (l *Log) Closed(batchID string) (events.BatchClosed, bool) {
	c, ok := l.closed[batchID]
	return c, ok
}

// Envelope returns the envelope recorded under id, if any.
func (l *Log) Envelope(id string) (events.Envelope, bool) {
	env, ok := l.byID[id]
	return env, ok
}

// Records is the number of records read; DistinctIDs the number of
// distinct event IDs among them (a republished event counts once).
func (l *Log) Records() int     { return l.records }
func (l *Log) DistinctIDs() int { return len(l.byID) }

// BatchCorrelation is the correlation ID of everything recorded about a
// batch: closing, settling, reconciling and the corrections it orders.
func BatchCorrelation(batchID string) string { return events.DeriveID("clearing.batch", batchID) }

// Draft builds the next envelopes of one batch's stream on the log.
type Draft struct {
	log   *Log
	batch string
	at    time.Time
	next  uint64
	envs  []events.Envelope
	fresh int
}

// Draft starts appending to batch batchID's stream; new envelopes occur
// at at.
func (l *Log) Draft(batchID string, at time.Time) *Draft {
	return &Draft{log: l, batch: batchID, at: at.UTC(), next: l.seq[batchID] + 1}
}

// Add returns the envelope recording p under id (derived by the caller
// from what p is about), caused by causationID. When the log already holds
// id with the same payload, that very envelope is returned, so publishing
// it again is an exact duplicate every consumer recognises; otherwise a
// new envelope continues the batch's stream. Either way it is queued for
// Envelopes. An id recorded with another payload fails with ErrConflict.
func (d *Draft) Add(id, causationID string, p events.Payload) (events.Envelope, error) {
	env, err := d.log.reg.New(d.batch, d.next, p, events.Meta{
		ID: id, CorrelationID: BatchCorrelation(d.batch), CausationID: causationID, OccurredAt: d.at,
	})
	if err != nil {
		return events.Envelope{}, fmt.Errorf("clearing: recording %s for batch %s: %w", p.EventType(), d.batch, err)
	}
	if old, ok := d.log.byID[id]; ok {
		if old.Type != env.Type || old.Version != env.Version || old.AggregateID != env.AggregateID || !sameJSON(old.Payload, env.Payload) {
			return events.Envelope{}, fmt.Errorf("%w: %s %s of batch %s was %s, now %s",
				ErrConflict, p.EventType(), id, d.batch, old.Payload, env.Payload)
		}
		d.envs = append(d.envs, old)
		return old, nil
	}
	d.next++
	d.fresh++
	d.envs = append(d.envs, env)
	return env, nil
}

// Envelopes returns what Add queued, in order.
func (d *Draft) Envelopes() []events.Envelope { return d.envs }

// Fresh is how many queued envelopes are not on the log yet.
func (d *Draft) Fresh() int { return d.fresh }

// sameJSON compares two JSON documents ignoring insignificant whitespace.
func sameJSON(a, b []byte) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}
