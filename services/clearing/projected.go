package clearing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/segmentio/kafka-go"
)

// ErrProjectorBehind is wrapped by WaitProjected's error when the
// ClickHouse projector did not catch up in time.
var ErrProjectorBehind = errors.New("the ClickHouse projector is behind")

// projectedPoll is how often WaitProjected re-reads the committed offsets.
const projectedPoll = 200 * time.Millisecond

// WaitProjected waits, at most wait, until consumer group `group` (the
// ClickHouse projector) has committed on every partition of topics the end
// offset that partition had when WaitProjected was called. The projector
// commits only after ClickHouse holds a record's rows, so then every event
// written before the call is queryable. Comparing with end offsets taken
// once at the start, not re-read, lets a live system pass: events written
// meanwhile belong to later windows.
//
// It fails with an error wrapping ErrProjectorBehind that names the
// partitions still behind and says to run paycore project.
func WaitProjected(ctx context.Context, brokers []string, c *kafkaconn.Connector, group string, topics []string, wait time.Duration) error {
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second, Transport: c.Transport()}
	ends, err := endOffsets(ctx, client, topics)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(wait)
	for {
		behind, err := lagging(ctx, client, group, ends)
		if err != nil || len(behind) == 0 {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w (consumer group %s; %s): run paycore project, let it catch up, and retry",
				ErrProjectorBehind, group, strings.Join(behind, "; "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(projectedPoll):
		}
	}
}

type partitionEnd struct {
	topic      string
	partition  int
	first, end int64
}

// endOffsets lists every partition of topics with its first and end
// offsets.
func endOffsets(ctx context.Context, client *kafka.Client, topics []string) ([]partitionEnd, error) {
	meta, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, fmt.Errorf("clearing: metadata of %v: %w", topics, err)
	}
	req := map[string][]kafka.OffsetRequest{}
	for _, t := range meta.Topics {
		if t.Error != nil {
			return nil, fmt.Errorf("clearing: topic %s: %w", t.Name, t.Error)
		}
		for _, p := range t.Partitions {
			req[t.Name] = append(req[t.Name], kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID))
		}
	}
	res, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: req})
	if err != nil {
		return nil, fmt.Errorf("clearing: offsets of %v: %w", topics, err)
	}
	var out []partitionEnd
	for topic, ps := range res.Topics {
		for _, p := range ps {
			if p.Error != nil {
				return nil, fmt.Errorf("clearing: offsets of %s/%d: %w", topic, p.Partition, p.Error)
			}
			out = append(out, partitionEnd{topic, p.Partition, p.FirstOffset, p.LastOffset})
		}
	}
	slices.SortFunc(out, func(a, b partitionEnd) int {
		return cmp.Or(strings.Compare(a.topic, b.topic), cmp.Compare(a.partition, b.partition))
	})
	return out, nil
}

// lagging describes the partitions whose committed offset is short of
// their end; empty when none is.
func lagging(ctx context.Context, client *kafka.Client, group string, ends []partitionEnd) ([]string, error) {
	req := map[string][]int{}
	for _, e := range ends {
		req[e.topic] = append(req[e.topic], e.partition)
	}
	res, err := client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: req})
	if err == nil {
		err = res.Error
	}
	if err != nil {
		return nil, fmt.Errorf("clearing: committed offsets of group %s: %w", group, err)
	}
	committed := map[string]map[int]int64{}
	for topic, ps := range res.Topics {
		committed[topic] = map[int]int64{}
		for _, p := range ps {
			if p.Error != nil {
				return nil, fmt.Errorf("clearing: committed offset of group %s on %s/%d: %w", group, topic, p.Partition, p.Error)
			}
			committed[topic][p.Partition] = p.CommittedOffset
		}
	}
	var behind []string
	for _, e := range ends {
		if e.end <= e.first {
			continue // empty: nothing to project
		}
		c, ok := committed[e.topic][e.partition]
		if !ok || c < 0 {
			behind = append(behind, fmt.Sprintf("%s[%d] never projected (%d events)", e.topic, e.partition, e.end-e.first))
		} else if c < e.end {
			behind = append(behind, fmt.Sprintf("%s[%d] %d events not projected", e.topic, e.partition, e.end-c))
		}
	}
	return behind, nil
}
