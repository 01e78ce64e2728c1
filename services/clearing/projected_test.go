package clearing

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events/kafkapubsub/kafkatest"
	"github.com/segmentio/kafka-go"
)

// TestWaitProjected checks the projector lag check against the real
// broker: a group that never committed, one that committed part of the
// log, and one that caught up.
func TestWaitProjected(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	topic := kafkatest.UniqueTopic(t, "clearing")
	kafkatest.CreateTopic(t, brokers, topic, 2)
	empty := kafkatest.UniqueTopic(t, "clearing-empty")
	kafkatest.CreateTopic(t, brokers, empty, 1)
	ctx := t.Context()
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, Balancer: &kafka.Murmur2Balancer{}, RequiredAcks: kafka.RequireAll}
	var msgs []kafka.Message
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		msgs = append(msgs, kafka.Message{Key: []byte(k), Value: []byte(k)})
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	w.Close()
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second}
	ends, err := endOffsets(ctx, client, []string{topic})
	if err != nil || len(ends) != 2 {
		t.Fatalf("endOffsets = %+v, %v", ends, err)
	}
	group := topic + ".projector"
	commit := func(offsets map[int]int64) {
		t.Helper()
		req := &kafka.OffsetCommitRequest{GroupID: group, GenerationID: -1, Topics: map[string][]kafka.OffsetCommit{}}
		for p, o := range offsets {
			req.Topics[topic] = append(req.Topics[topic], kafka.OffsetCommit{Partition: p, Offset: o})
		}
		res, err := client.OffsetCommit(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, ps := range res.Topics {
			for _, p := range ps {
				if p.Error != nil {
					t.Fatal(p.Error)
				}
			}
		}
	}
	wait := func(d time.Duration) error {
		return WaitProjected(ctx, brokers, nil, group, []string{topic, empty}, d)
	}

	err = wait(300 * time.Millisecond)
	if !errors.Is(err, ErrProjectorBehind) || !strings.Contains(err.Error(), "never projected") || !strings.Contains(err.Error(), "run paycore project") {
		t.Errorf("no commits: %v", err)
	}
	full := map[int]int64{}
	for _, e := range ends {
		full[e.partition] = e.end
	}
	part := map[int]int64{}
	for p, o := range full {
		part[p] = o
	}
	for p, o := range part {
		if o > 0 {
			part[p] = o - 1
			break
		}
	}
	commit(part)
	if err := wait(300 * time.Millisecond); !errors.Is(err, ErrProjectorBehind) || !strings.Contains(err.Error(), "1 events not projected") {
		t.Errorf("one event short: %v", err)
	}
	// Catching up while WaitProjected waits lets it return.
	go func() {
		time.Sleep(300 * time.Millisecond)
		commit(full)
	}()
	if err := wait(10 * time.Second); err != nil {
		t.Errorf("caught up: %v", err)
	}
}
