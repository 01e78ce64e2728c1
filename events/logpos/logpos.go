// Package logpos names a point in paycore's Kafka logs the way an operator
// gives it (the beginning, an offset, a time) and resolves it, partition by
// partition, to the offset a replay starts at. The projector's replay and
// the processors' snapshot rebuild share it, so "--from" means the same
// thing to both.
package logpos

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/segmentio/kafka-go"
)

// Kind says how a From is given.
type Kind int

const (
	// Beginning is each partition's first offset.
	Beginning Kind = iota
	// Offset is the same offset in every partition.
	Offset
	// Time is, in each partition, the first record whose timestamp is at
	// or after the time (Kafka's offset-for-time lookup).
	Time
)

// From is a point in a log: where a replay starts.
type From struct {
	Kind   Kind
	Offset int64     // Kind Offset
	Time   time.Time // Kind Time
}

// Start is the beginning of every partition.
var Start = From{Kind: Beginning}

// AtOffset returns the From of offset n in every partition.
func AtOffset(n int64) From { return From{Kind: Offset, Offset: n} }

// At returns the From of the first record at or after t.
func At(t time.Time) From { return From{Kind: Time, Time: t} }

// Parse reads the operator's form: "beginning", "offset:<n>" (n >= 0) or
// "time:<RFC 3339>".
func Parse(s string) (From, error) {
	kind, arg, _ := strings.Cut(s, ":")
	switch {
	case s == "beginning":
		return Start, nil
	case kind == "offset":
		n, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || n < 0 {
			return From{}, fmt.Errorf("logpos: %q: the offset must be a whole number >= 0", s)
		}
		return AtOffset(n), nil
	case kind == "time":
		t, err := time.Parse(time.RFC3339Nano, arg)
		if err != nil {
			return From{}, fmt.Errorf("logpos: %q: the time must be RFC 3339, e.g. time:2026-03-01T08:00:00+08:00", s)
		}
		return At(t), nil
	}
	return From{}, fmt.Errorf("logpos: %q is not beginning, offset:<n> or time:<RFC3339>", s)
}

// String returns f in the form Parse reads.
func (f From) String() string {
	switch f.Kind {
	case Offset:
		return "offset:" + strconv.FormatInt(f.Offset, 10)
	case Time:
		return "time:" + f.Time.Format(time.RFC3339Nano)
	}
	return "beginning"
}

// Partition is one partition's offsets and where a From starts in it.
type Partition struct {
	Topic     string
	Partition int
	// First is the log's first offset, End the offset its next record
	// will get: the partition holds [First, End) when it was resolved.
	First, End int64
	// Start is the first offset of the From, within [First, End]; End
	// when the From is after the partition's last record.
	Start int64
}

// Records is how many records the partition holds from Start to End.
func (p Partition) Records() int64 { return p.End - p.Start }

// Errors of Resolve an operator gets for a From that names no record.
var (
	ErrFuture    = errors.New("logpos: the time is in the future")
	ErrBeyondEnd = errors.New("logpos: the offset is beyond the end of every partition")
)

// Resolve lists every partition of topics, sorted by topic and partition,
// with where from starts in it. An offset below a partition's first one
// starts at its first; above its end, at its end (nothing to replay
// there), and above the end of every partition it is ErrBeyondEnd. A time
// after now is ErrFuture. A broker that does not answer is an error that
// names it. conn secures the connections (nil: plaintext).
func Resolve(ctx context.Context, brokers []string, conn *kafkaconn.Connector, topics []string, from From, now time.Time) ([]Partition, error) {
	if from.Kind == Time && from.Time.After(now) {
		return nil, fmt.Errorf("%w: %s is after now (%s)", ErrFuture, from.Time.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second, Transport: conn.Transport()}
	meta, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, fmt.Errorf("logpos: Kafka at %s does not answer: %w", strings.Join(brokers, ","), err)
	}
	bounds := map[string][]kafka.OffsetRequest{}
	byTime := map[string][]kafka.OffsetRequest{}
	for _, t := range meta.Topics {
		if t.Error != nil {
			return nil, fmt.Errorf("logpos: topic %s: %w", t.Name, t.Error)
		}
		for _, p := range t.Partitions {
			bounds[t.Name] = append(bounds[t.Name], kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID))
			byTime[t.Name] = append(byTime[t.Name], kafka.TimeOffsetOf(p.ID, from.Time))
		}
	}
	for _, t := range topics {
		if len(bounds[t]) == 0 {
			return nil, fmt.Errorf("logpos: topic %s has no partitions (does it exist?)", t)
		}
	}
	res, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: bounds})
	if err != nil {
		return nil, fmt.Errorf("logpos: offsets of %v: %w", topics, err)
	}
	// The time lookup is a request of its own: a partition named twice with
	// different timestamps in one request is ambiguous.
	var atTime *kafka.ListOffsetsResponse
	if from.Kind == Time {
		if atTime, err = client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: byTime}); err != nil {
			return nil, fmt.Errorf("logpos: offsets at %s of %v: %w", from.Time.Format(time.RFC3339), topics, err)
		}
	}
	found := map[string]map[int]kafka.PartitionOffsets{}
	if atTime != nil {
		for topic, ps := range atTime.Topics {
			found[topic] = map[int]kafka.PartitionOffsets{}
			for _, po := range ps {
				found[topic][po.Partition] = po
			}
		}
	}
	var out []Partition
	for topic, ps := range res.Topics {
		for _, po := range ps {
			if po.Error != nil {
				return nil, fmt.Errorf("logpos: offsets of %s/%d: %w", topic, po.Partition, po.Error)
			}
			p := Partition{Topic: topic, Partition: po.Partition, First: po.FirstOffset, End: po.LastOffset, Start: po.FirstOffset}
			switch from.Kind {
			case Offset:
				p.Start = min(max(from.Offset, p.First), p.End)
			case Time:
				t := found[topic][po.Partition]
				if t.Error != nil {
					return nil, fmt.Errorf("logpos: offset at %s of %s/%d: %w", from.Time.Format(time.RFC3339), topic, po.Partition, t.Error)
				}
				// No record at or after the time: the broker answers
				// offset -1, which kafka-go leaves out of Offsets.
				p.Start = p.End
				for off := range t.Offsets {
					if off >= 0 {
						p.Start = min(max(off, p.First), p.End)
					}
				}
			}
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b Partition) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return a.Partition - b.Partition
	})
	if from.Kind == Offset {
		var maxEnd int64
		for _, p := range out {
			maxEnd = max(maxEnd, p.End)
		}
		if from.Offset > maxEnd {
			return nil, fmt.Errorf("%w: offset %d, largest end offset %d", ErrBeyondEnd, from.Offset, maxEnd)
		}
	}
	return out, nil
}
