package scenarios

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/services/app"
	"github.com/paycore/paycore/services/topology"
	"github.com/segmentio/kafka-go"
)

// Inbox is one processor's consumer group and the topic it consumes.
type Inbox struct {
	Processor, Group, Topic string
}

// Inboxes returns the consumer groups of the four processors of top, as
// app.Runners names them (group = topic prefix + processor name).
func Inboxes(top topology.Topology) []Inbox {
	topics := map[string]string{
		app.Intake: topology.Requests, app.Saga: topology.SagaInbox,
		app.Payer: topology.PayerInbox, app.Reserve: topology.ResInbox,
	}
	out := make([]Inbox, 0, len(app.AllProcessors))
	for _, p := range app.AllProcessors {
		out = append(out, Inbox{Processor: p, Group: top.Prefix + p, Topic: top.Name(topics[p])})
	}
	return out
}

// LagSample is the consumer lag of every inbox partition at one moment.
type LagSample struct {
	At time.Duration // since the run's start
	// Lag per processor, per partition: records written to the inbox that
	// the group has not committed yet.
	Lag map[string][]int64
}

// Total sums the lag of every partition of every processor.
func (s LagSample) Total() int64 {
	var n int64
	for _, ps := range s.Lag {
		for _, l := range ps {
			n += l
		}
	}
	return n
}

// Of sums one processor's lag over its partitions.
func (s LagSample) Of(processor string) int64 {
	var n int64
	for _, l := range s.Lag[processor] {
		n += l
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

// LagReader reads consumer lag through the Kafka admin API (ListOffsets
// and OffsetFetch): what `kafka-consumer-groups --describe` shows. It sees
// the groups from outside, whichever process and instance owns which
// partition, and needs nothing from the processors.
type LagReader struct {
	client  *kafka.Client
	inboxes []Inbox
	parts   map[string][]int
}

// NewLagReader reads the lag of inboxes; partitions is each topic's
// partition count.
func NewLagReader(brokers []string, c *kafkaconn.Connector, inboxes []Inbox, partitions int) *LagReader {
	parts := make(map[string][]int, len(inboxes))
	for _, in := range inboxes {
		ids := make([]int, partitions)
		for i := range ids {
			ids[i] = i
		}
		parts[in.Topic] = ids
	}
	return &LagReader{
		client:  &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 5 * time.Second, Transport: c.Transport()},
		inboxes: inboxes, parts: parts,
	}
}

// Read returns the lag of every inbox partition now.
func (r *LagReader) Read(ctx context.Context) (map[string][]int64, error) {
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for topic, ids := range r.parts {
		for _, p := range ids {
			req.Topics[topic] = append(req.Topics[topic], kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
		}
	}
	offs, err := r.client.ListOffsets(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("list offsets: %w", err)
	}
	out := make(map[string][]int64, len(r.inboxes))
	for _, in := range r.inboxes {
		first, end := map[int]int64{}, map[int]int64{}
		for _, po := range offs.Topics[in.Topic] {
			if po.Error != nil {
				return nil, fmt.Errorf("offsets of %s/%d: %w", in.Topic, po.Partition, po.Error)
			}
			first[po.Partition], end[po.Partition] = po.FirstOffset, po.LastOffset
		}
		got, err := r.client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: in.Group, Topics: map[string][]int{in.Topic: r.parts[in.Topic]}})
		if err == nil {
			err = got.Error
		}
		if err != nil {
			return nil, fmt.Errorf("committed offsets of %s: %w", in.Group, err)
		}
		committed := map[int]int64{}
		for _, p := range got.Topics[in.Topic] {
			if p.Error != nil {
				return nil, fmt.Errorf("committed offset of %s on %s/%d: %w", in.Group, in.Topic, p.Partition, p.Error)
			}
			committed[p.Partition] = p.CommittedOffset
		}
		lag := PartitionLag(first, end, committed)
		row := make([]int64, len(r.parts[in.Topic]))
		for p, l := range lag {
			if p >= 0 && p < len(row) {
				row[p] = l
			}
		}
		out[in.Processor] = row
	}
	return out, nil
}

// LagSampler reads the lag every interval until stopped.
type LagSampler struct {
	reader   *LagReader
	start    time.Time
	interval time.Duration
	mu       sync.Mutex
	samples  []LagSample
	errs     int
	lastErr  error
}

// NewLagSampler samples r every interval; sample times count from start.
func NewLagSampler(r *LagReader, start time.Time, interval time.Duration) *LagSampler {
	return &LagSampler{reader: r, start: start, interval: interval}
}

// Run samples until ctx ends.
func (s *LagSampler) Run(ctx context.Context) {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		s.SampleNow(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SampleNow takes one sample. A failed read (a broker busy with a
// rebalance) is counted, not fatal: the plot gets a gap.
func (s *LagSampler) SampleNow(ctx context.Context) {
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	lag, err := s.reader.Read(rctx)
	cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			s.errs++
			s.lastErr = err
		}
		return
	}
	s.samples = append(s.samples, LagSample{At: time.Since(s.start), Lag: lag})
}

// Samples returns the samples so far, the count of failed reads and the
// last failure.
func (s *LagSampler) Samples() ([]LagSample, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]LagSample(nil), s.samples...), s.errs, s.lastErr
}

// DrainedAfter returns how long after from the total lag first fell to
// at most threshold (and false if it never did in samples).
func DrainedAfter(samples []LagSample, from time.Duration, threshold int64) (time.Duration, bool) {
	for _, s := range samples {
		if s.At >= from && s.Total() <= threshold {
			return s.At - from, true
		}
	}
	return 0, false
}
