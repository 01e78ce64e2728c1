package chain

import (
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/paycore/paycore/events"
)

// Record is one record of an event log as a verifier reads it.
type Record struct {
	Topic     string
	Partition int
	Offset    int64
	Key       []byte
	Value     []byte
}

// Break is the first record of an aggregate whose chain does not hold.
type Break struct {
	Topic       string
	Partition   int
	Offset      int64
	AggregateID string
	Sequence    uint64 // 0 when the record could not be decoded
	Reason      string
}

func (b Break) String() string {
	return fmt.Sprintf("%s/%d offset %d: aggregate %s sequence %d: %s", b.Topic, b.Partition, b.Offset, b.AggregateID, b.Sequence, b.Reason)
}

// Duplicate is a record repeating an (aggregate, sequence) already in the
// log that differs from the one that counts, or cannot be compared with it.
type Duplicate struct {
	Topic       string
	Partition   int
	Offset      int64
	AggregateID string
	Sequence    uint64
}

// TopicStats counts what a verifier saw in one topic.
type TopicStats struct {
	Topic      string
	Records    int
	Aggregates int
	// Chained and Unchained count the records that count (not duplicates)
	// with and without a chain value. Unchained records were written
	// before chaining existed; they are reported, not failed.
	Chained   int
	Unchained int
	// Duplicates repeat an (aggregate, sequence) that an earlier record
	// holds. The fold ignores them; Divergent of them differ from (or
	// cannot be compared with) the record that counts.
	Duplicates int
	Divergent  int
	// Broken counts records whose chain does not hold, BrokenAggregates
	// the aggregates with at least one.
	Broken           int
	BrokenAggregates int
}

// MaxListed bounds the breaks and divergent duplicates a Report lists; the
// counts stay exact.
const MaxListed = 1000

// Report is the outcome of a verification.
type Report struct {
	Topics []TopicStats
	// Breaks lists the first break of each broken aggregate, in log order.
	Breaks []Break
	// Divergent lists duplicates that differ from the record that counts.
	Divergent []Duplicate
}

// Clean reports whether every chain held.
func (r Report) Clean() bool {
	for _, t := range r.Topics {
		if t.Broken > 0 {
			return false
		}
	}
	return true
}

// String renders the report for an operator: a line per topic, then the
// breaks and divergent duplicates.
func (r Report) String() string {
	var b strings.Builder
	for _, t := range r.Topics {
		fmt.Fprintf(&b, "%s: %d records, %d aggregates, %d chained, %d unchained, %d duplicates (%d divergent), %d broken records in %d aggregates\n",
			t.Topic, t.Records, t.Aggregates, t.Chained, t.Unchained, t.Duplicates, t.Divergent, t.Broken, t.BrokenAggregates)
	}
	if len(r.Breaks) > 0 {
		b.WriteString("first break of each broken aggregate:\n")
		for _, br := range r.Breaks {
			b.WriteString("  " + br.String() + "\n")
		}
	}
	if len(r.Divergent) > 0 {
		b.WriteString("duplicates that differ from the record that counts (ignored by the fold):\n")
		for _, d := range r.Divergent {
			fmt.Fprintf(&b, "  %s/%d offset %d: aggregate %s sequence %d\n", d.Topic, d.Partition, d.Offset, d.AggregateID, d.Sequence)
		}
	}
	listed := 0
	for _, t := range r.Topics {
		listed += t.BrokenAggregates
	}
	if listed > len(r.Breaks) {
		fmt.Fprintf(&b, "(%d more broken aggregates not listed)\n", listed-len(r.Breaks))
	}
	if r.Clean() {
		b.WriteString("every chain holds\n")
	}
	return b.String()
}

// aggregate is the verifier's state of one aggregate: 56 bytes.
type aggregate struct {
	seq uint64 // last sequence that counts (the fold's position)
	// last is the chain value of the aggregate's last event whose link
	// held: what its next event must link to. A broken record does not
	// move it, exactly as the runtime extends only links that hold.
	last Value
	// counted is a fingerprint of the record at seq (the first 8 bytes of
	// SHA-256 of its bytes), to tell a byte-identical duplicate, the normal
	// result of two owners deciding the same command, from a divergent one.
	counted [8]byte
	chained bool // an event of the aggregate carried a chain
	broken  bool
}

type partitionID struct {
	topic     string
	partition int
}

// Verifier recomputes the chains of event logs. It follows the fold: the
// first record of an (aggregate, sequence) in log order is the one that
// counts and is checked; later ones are duplicates, counted and compared
// but never a break.
//
// Records must be added partition by partition, each in offset order (as
// logscan.Scan reads them): the state of a partition is dropped when the
// next one starts, so memory is bounded by the largest partition (about
// 90 bytes per aggregate). Not safe for concurrent use.
type Verifier struct {
	c    *Chainer
	cur  partitionID
	aggs map[AggregateKey]*aggregate
	done map[partitionID]bool
	rep  Report
	byTp map[string]int // topic → index in rep.Topics
}

// NewVerifier returns a Verifier for logs chained with key.
func NewVerifier(key []byte) (*Verifier, error) {
	c, err := New(key)
	if err != nil {
		return nil, err
	}
	return &Verifier{c: c, done: map[partitionID]bool{}, byTp: map[string]int{}}, nil
}

// Add verifies one record. It panics if the record's partition was
// finished before (records of a partition must be contiguous).
func (v *Verifier) Add(r Record) {
	id := partitionID{r.Topic, r.Partition}
	if id != v.cur || v.aggs == nil {
		v.finishPartition()
		if v.done[id] {
			panic(fmt.Sprintf("chain: records of %s/%d added after another partition's", r.Topic, r.Partition))
		}
		v.cur, v.aggs = id, map[AggregateKey]*aggregate{}
	}
	st := v.stats(r.Topic)
	st.Records++

	env, err := events.Unmarshal(r.Value)
	if err != nil {
		// The fold stops at such a record. It is filed under its record
		// key, the aggregate it claims to belong to.
		v.breakAt(st, r, v.aggregate(st, string(r.Key)), string(r.Key), 0, "undecodable envelope: "+err.Error())
		return
	}
	a := v.aggregate(st, env.AggregateID)
	if env.Sequence <= a.seq {
		v.duplicate(st, r, env, a)
		return
	}
	prevSeq := a.seq
	a.seq = env.Sequence // the fold applies it, whatever follows
	a.counted = fingerprint(r.Value)
	switch {
	case string(r.Key) != env.AggregateID:
		v.breakAt(st, r, a, env.AggregateID, env.Sequence, fmt.Sprintf("record key %q is not the aggregate ID: the event is filed in the wrong stream", r.Key))
		return
	case env.Sequence != prevSeq+1:
		v.breakAt(st, r, a, env.AggregateID, env.Sequence, fmt.Sprintf("sequence %d follows %d: events are missing", env.Sequence, prevSeq))
		return
	}
	if env.Chain == "" {
		if a.chained {
			v.breakAt(st, r, a, env.AggregateID, env.Sequence, "event without a chain value after chained ones: written by something other than the processor")
			return
		}
		st.Unchained++
		return
	}
	value, chained, ok := v.c.CheckRecord(a.last, r.Value)
	switch {
	case !chained:
		v.breakAt(st, r, a, env.AggregateID, env.Sequence, "chain value is not where the processor writes it: the record was re-encoded")
	case !ok:
		v.breakAt(st, r, a, env.AggregateID, env.Sequence, "chain mismatch: the event, or the one before it, is not what the processor wrote")
	default:
		a.last, a.chained = value, true
		st.Chained++
	}
}

func (v *Verifier) aggregate(st *TopicStats, id string) *aggregate {
	k := KeyOf(id)
	a, ok := v.aggs[k]
	if !ok {
		a = &aggregate{}
		v.aggs[k] = a
		st.Aggregates++
	}
	return a
}

// duplicate counts a record whose sequence the aggregate already has.
func (v *Verifier) duplicate(st *TopicStats, r Record, env events.Envelope, a *aggregate) {
	st.Duplicates++
	if env.Sequence == a.seq && fingerprint(r.Value) == a.counted {
		return // the same event written twice (a rebalance)
	}
	st.Divergent++
	if len(v.rep.Divergent) < MaxListed {
		v.rep.Divergent = append(v.rep.Divergent, Duplicate{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, AggregateID: env.AggregateID, Sequence: env.Sequence})
	}
}

func (v *Verifier) breakAt(st *TopicStats, r Record, a *aggregate, aggregateID string, seq uint64, reason string) {
	st.Broken++
	if a.broken {
		return // only the first break of an aggregate is listed
	}
	a.broken = true
	st.BrokenAggregates++
	if len(v.rep.Breaks) < MaxListed {
		v.rep.Breaks = append(v.rep.Breaks, Break{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, AggregateID: aggregateID, Sequence: seq, Reason: reason})
	}
}

func fingerprint(record []byte) [8]byte {
	sum := sha256.Sum256(record)
	return [8]byte(sum[:8])
}

func (v *Verifier) stats(topic string) *TopicStats {
	i, ok := v.byTp[topic]
	if !ok {
		i = len(v.rep.Topics)
		v.byTp[topic] = i
		v.rep.Topics = append(v.rep.Topics, TopicStats{Topic: topic})
	}
	return &v.rep.Topics[i]
}

func (v *Verifier) finishPartition() {
	if v.aggs != nil {
		v.done[v.cur] = true
	}
	v.aggs = nil
}

// Report returns what was verified so far. Topics that had no records are
// not listed; use Touch to list them.
func (v *Verifier) Report() Report { return v.rep }

// Touch lists topic in the report even if it has no records.
func (v *Verifier) Touch(topic string) { v.stats(topic) }
