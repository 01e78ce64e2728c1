package grouplag

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/paycore/paycore/events/kafkapubsub/kafkatest"
	"github.com/segmentio/kafka-go"
)

// TestLagReaderOnTheBroker writes records to two partitions, commits part
// of them for a consumer group, and reads the lag the way the admission gate and the load test
// does: through the broker's admin API, from outside the group.
func TestLagReaderOnTheBroker(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	topic := kafkatest.UniqueTopic(t, "grouplag")
	kafkatest.CreateTopic(t, brokers, topic, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for p, n := range map[int]int{0: 10, 1: 4} {
		var part []kafka.Message
		for i := range n {
			part = append(part, kafka.Message{Value: fmt.Appendf(nil, "%d", i)})
		}
		if err := writePartition(ctx, brokers, topic, p, part); err != nil {
			t.Fatal(err)
		}
	}
	group := topic + ".group"
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second}
	if _, err := client.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: group, GenerationID: -1,
		Topics: map[string][]kafka.OffsetCommit{topic: {{Partition: 0, Offset: 7}}}}); err != nil {
		t.Fatal(err)
	}
	r := NewReader(brokers, nil, []Inbox{{Processor: "saga", Group: group, Topic: topic, Partitions: 2}})
	rd, err := r.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Partition 0: 10 written, 7 committed; partition 1: never committed.
	if got := rd.Lag["saga"]; len(got) != 2 || got[0] != 3 || got[1] != 4 {
		t.Errorf("lag = %v, want [3 4]", got)
	}
	if rd.Handled != 7 {
		t.Errorf("handled = %d, want 7 (partition 0's commit; partition 1 from its start, 0)", rd.Handled)
	}
}

// writePartition writes msgs to one partition, retrying while the fresh
// topic's leader is still being elected.
func writePartition(ctx context.Context, brokers []string, topic string, partition int, msgs []kafka.Message) error {
	var err error
	for range 50 {
		var conn *kafka.Conn
		if conn, err = kafka.DialLeader(ctx, "tcp", brokers[0], topic, partition); err == nil {
			_, err = conn.WriteMessages(msgs...)
			conn.Close()
			if err == nil {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return err
}
