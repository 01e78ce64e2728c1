package projector

import (
	"context"
	"fmt"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/segmentio/kafka-go"
)

// chunk is what a partition reader hands the flushing loop: consecutive
// records of one partition, decoded and mapped.
type chunk struct {
	topic     string
	partition int
	records   int   // records read, skipped ones included
	next      int64 // offset after the last of them
	hwm       int64 // the partition's high watermark as last fetched
	rows      []tableRow
	// err is a Mapper bug (a row for an unknown table, or with the wrong
	// number of values): it stops the projector.
	err error
}

// chunkRecords bounds the records of one chunk.
const chunkRecords = 1000

// maxFetchFailures bounds consecutive failed fetches of a partition before
// its reader gives up (about a minute of retrying).
const maxFetchFailures = 40

// readPartition reads topic/partition from offset (or kafka.FirstOffset)
// and sends chunks to out until ctx ends (nil), fetching keeps failing (the
// error), or, when end >= 0, the record before end was sent (nil).
func (p *Projector) readPartition(ctx context.Context, topic string, partition int, offset, end int64, out chan<- chunk) error {
	limit := min(chunkRecords, p.cfg.MaxRows)
	reader := p.partitionReader(topic, partition, limit)
	defer func() { reader.Close() }()
	if err := reader.SetOffset(offset); err != nil {
		return fmt.Errorf("seek %s/%d to %d: %w", topic, partition, offset, err)
	}
	failures := 0
	msgs := make([]kafka.Message, 0, limit)
	for ctx.Err() == nil {
		var err error
		msgs, err = fetch(ctx, reader, msgs[:0], limit)
		if err != nil {
			// Leadership moves and broker restarts surface here. Nothing
			// of the failed fetch was used: reopen at the next unread
			// offset, a bounded number of times in a row.
			failures++
			if failures > maxFetchFailures {
				return fmt.Errorf("fetch %s/%d at %d: %w", topic, partition, offset, err)
			}
			p.log.Warn("fetch failed; reopening the partition reader", "topic", topic, "partition", partition,
				"offset", offset, "attempt", failures, "err", err)
			reader.Close()
			if !sleep(ctx, min(time.Duration(failures)*100*time.Millisecond, 2*time.Second)) {
				return nil
			}
			reader = p.partitionReader(topic, partition, limit)
			if err := reader.SetOffset(offset); err != nil {
				return fmt.Errorf("seek %s/%d to %d: %w", topic, partition, offset, err)
			}
			continue
		}
		failures = 0
		if end >= 0 {
			n := 0
			for n < len(msgs) && msgs[n].Offset < end {
				n++
			}
			msgs = msgs[:n]
		}
		if len(msgs) == 0 {
			continue
		}
		c := p.project(topic, partition, msgs)
		offset = c.next
		select {
		case out <- c:
		case <-ctx.Done():
			return nil
		}
		if c.err != nil || (end >= 0 && offset >= end) {
			return nil
		}
	}
	return nil
}

func (p *Projector) partitionReader(topic string, partition, queue int) *kafka.Reader {
	return kafka.NewReader(kafka.ReaderConfig{
		Brokers: p.cfg.Brokers, Dialer: p.cfg.Connector.Dialer(), Topic: topic, Partition: partition,
		MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 500 * time.Millisecond,
		QueueCapacity: queue, ReadBackoffMin: 5 * time.Millisecond, ReadBackoffMax: 100 * time.Millisecond,
	})
}

// fetch appends up to limit records to msgs: it waits for the first as
// long as ctx lasts, then takes whatever else the reader already fetched.
// A nil error with no records means ctx ended.
func fetch(ctx context.Context, reader *kafka.Reader, msgs []kafka.Message, limit int) ([]kafka.Message, error) {
	m, err := reader.FetchMessage(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return msgs, nil
		}
		return msgs, err
	}
	msgs = append(msgs, m)
	for len(msgs) < limit {
		// Only records already fetched: with nothing buffered the short
		// deadline ends the wait at once.
		c, cancel := context.WithTimeout(ctx, time.Millisecond)
		m, err := reader.FetchMessage(c)
		cancel()
		if err != nil {
			break // the records taken so far are good; a real error recurs on the next call
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// project decodes and maps msgs, consecutive records of topic/partition.
// It runs on the partition's goroutine, so decoding (the CPU cost) is
// spread over the partitions.
func (p *Projector) project(topic string, partition int, msgs []kafka.Message) chunk {
	c := chunk{topic: topic, partition: partition, records: len(msgs), next: msgs[len(msgs)-1].Offset + 1}
	projectedAt := time.Now().UTC().Truncate(time.Second)
	for _, m := range msgs {
		c.hwm = max(c.hwm, m.HighWaterMark)
		// Event topics hold only what paycore wrote: the own-record decoder
		// applies (as for processor inboxes).
		env, err := events.UnmarshalOwn(m.Value)
		var payload events.Payload
		if err == nil {
			payload, err = p.cfg.Registry.DecodeOwn(env)
		}
		if err != nil {
			p.skip(topic, partition, m.Offset, "undecodable record", err)
			continue
		}
		src := Source{Topic: topic, Partition: partition, Offset: m.Offset, ProjectedAt: projectedAt}
		rows, err := p.cfg.Mapper.Map(env, payload, src)
		if err != nil {
			p.skip(topic, partition, m.Offset, "mapper failed on record", fmt.Errorf("%s (event %s): %w", env.Type, env.ID, err))
			continue
		}
		for _, r := range rows {
			i, ok := p.tableIndex[r.Table]
			switch {
			case !ok:
				c.err = fmt.Errorf("projector: mapper returned a row for table %q, not one of its Tables() (%s/%d offset %d, %s)",
					r.Table, topic, partition, m.Offset, env.Type)
			case len(r.Values) != len(p.tables[i].Columns):
				c.err = fmt.Errorf("projector: mapper returned %d values for the %d columns of %s (%s/%d offset %d, %s)",
					len(r.Values), len(p.tables[i].Columns), r.Table, topic, partition, m.Offset, env.Type)
			}
			if c.err != nil {
				return c
			}
			c.rows = append(c.rows, tableRow{table: i, values: r.Values})
		}
	}
	return c
}

// skip logs and counts a record that is not projected. Nothing else is
// done with it: event topics are written by paycore only, so an
// undecodable record is a bug to look into, and the log keeps it anyway.
func (p *Projector) skip(topic string, partition int, offset int64, reason string, err error) {
	p.stats.skipped.Add(1)
	p.log.Error(reason+"; skipped", "topic", topic, "partition", partition, "offset", offset, "err", err)
	if so, ok := p.cfg.Observer.(SkipObserver); ok {
		so.Skipped(topic, partition, offset, err)
	}
}

// sleep waits d or until ctx ends; it reports whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
