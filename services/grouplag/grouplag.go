// Package grouplag reads the consumer lag of paycore's processors from
// outside their consumer groups, through the Kafka admin API (ListOffsets
// and OffsetFetch): what `kafka-consumer-groups --describe` shows. It needs
// nothing from the processors and sees every instance's partitions, so the
// intake's admission gate, the load test's lag plots and an operator's
// tools all read the same figure.
package grouplag

import (
	"context"
	"fmt"
	"time"

	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/segmentio/kafka-go"
)

// Inbox is one processor's consumer group and the topic it consumes, with
// the topic's partition count.
type Inbox struct {
	Processor, Group, Topic string
	Partitions              int
}

// Lag is the consumer lag of every partition of every inbox at one
// moment, per processor, indexed by partition.
type Lag map[string][]int64

// Total sums the lag of every partition of every processor.
func (l Lag) Total() int64 {
	var n int64
	for _, ps := range l {
		for _, v := range ps {
			n += v
		}
	}
	return n
}

// Of sums one processor's lag over its partitions.
func (l Lag) Of(processor string) int64 {
	var n int64
	for _, v := range l[processor] {
		n += v
	}
	return n
}

// PartitionLag computes a group's lag on each partition from the
// partitions' first and end offsets and the group's committed offsets.
// A partition the group never committed (absent, or negative as Kafka
// reports it) lags by everything the log still holds; a committed offset
// behind the log's start (retention deleted what was never read) counts
// from the start; a committed offset beyond the end offset the broker
// answered a moment earlier is not lag.
func PartitionLag(first, end, committed map[int]int64) map[int]int64 {
	out := make(map[int]int64, len(end))
	for p, e := range end {
		from := first[p]
		if c, ok := committed[p]; ok && c >= 0 {
			from = max(c, from)
		}
		out[p] = max(e-from, 0)
	}
	return out
}

// Reader reads the lag of a fixed set of inboxes.
type Reader struct {
	client  *kafka.Client
	inboxes []Inbox
}

// NewReader reads the lag of inboxes on brokers, through c (nil is
// plaintext).
func NewReader(brokers []string, c *kafkaconn.Connector, inboxes []Inbox) *Reader {
	return &Reader{
		client:  &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 5 * time.Second, Transport: c.Transport()},
		inboxes: inboxes,
	}
}

// Reading is what one Read saw.
type Reading struct {
	Lag Lag
	// Handled sums, over every partition of every inbox, the offset the
	// group has handled up to (its committed offset, or the log start for
	// a partition never committed). Its growth between two readings is
	// the records the processors worked off: their rate.
	Handled int64
}

// Read returns the lag of every inbox partition now: one ListOffsets for
// all topics, then one OffsetFetch per group.
func (r *Reader) Read(ctx context.Context) (Reading, error) {
	var rd Reading
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, in := range r.inboxes {
		if _, dup := req.Topics[in.Topic]; dup {
			continue
		}
		for p := range in.Partitions {
			req.Topics[in.Topic] = append(req.Topics[in.Topic], kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
		}
	}
	offs, err := r.client.ListOffsets(ctx, req)
	if err != nil {
		return rd, fmt.Errorf("list offsets: %w", err)
	}
	rd.Lag = make(Lag, len(r.inboxes))
	for _, in := range r.inboxes {
		first, end := map[int]int64{}, map[int]int64{}
		for _, po := range offs.Topics[in.Topic] {
			if po.Error != nil {
				return Reading{}, fmt.Errorf("offsets of %s/%d: %w", in.Topic, po.Partition, po.Error)
			}
			first[po.Partition], end[po.Partition] = po.FirstOffset, po.LastOffset
		}
		ids := make([]int, in.Partitions)
		for i := range ids {
			ids[i] = i
		}
		got, err := r.client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: in.Group, Topics: map[string][]int{in.Topic: ids}})
		if err == nil {
			err = got.Error
		}
		if err != nil {
			return Reading{}, fmt.Errorf("committed offsets of %s: %w", in.Group, err)
		}
		committed := map[int]int64{}
		for _, p := range got.Topics[in.Topic] {
			if p.Error != nil {
				return Reading{}, fmt.Errorf("committed offset of %s on %s/%d: %w", in.Group, in.Topic, p.Partition, p.Error)
			}
			committed[p.Partition] = p.CommittedOffset
		}
		row := make([]int64, in.Partitions)
		for p, l := range PartitionLag(first, end, committed) {
			if p >= 0 && p < len(row) {
				row[p] = l
				rd.Handled += end[p] - l
			}
		}
		rd.Lag[in.Processor] = row
	}
	return rd, nil
}
