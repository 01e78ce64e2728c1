// Package topics removes what a benchmark run created on the broker. Every
// run makes a fresh topic set (a unique prefix, 20 topics × partitions);
// left behind, a series of runs leaves the broker tens of thousands of
// partitions to keep, and it slows down run after run, which would bias
// every later figure of the series.
package topics

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/services/topology"
	"github.com/segmentio/kafka-go"
)

// Delete deletes topics on brokers, through c (nil is plaintext). A topic
// already gone is not an error.
func Delete(ctx context.Context, brokers []string, c *kafkaconn.Connector, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 30 * time.Second, Transport: c.Transport()}
	resp, err := client.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: names})
	if err != nil {
		return fmt.Errorf("delete %d topics: %w", len(names), err)
	}
	for name, err := range resp.Errors {
		if err != nil && !errors.Is(err, kafka.UnknownTopicOrPartition) {
			return fmt.Errorf("delete topic %s: %w", name, err)
		}
	}
	return nil
}

// DeleteTopology deletes every topic of top.
func DeleteTopology(ctx context.Context, brokers []string, c *kafkaconn.Connector, top topology.Topology) error {
	names := make([]string, 0, len(top.Topics))
	for _, t := range top.Topics {
		names = append(names, t.Name)
	}
	return Delete(ctx, brokers, c, names...)
}
