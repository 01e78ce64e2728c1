// Package chainverify checks the hash chains of paycore's event logs on
// Kafka (see package events/chain): it reads every record of the given
// topics from the first offset, outside any consumer group, and recomputes
// each aggregate's chain as the processors' folds see it.
package chainverify

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/paycore/paycore/events/chain"
	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/services/logscan"
	"github.com/segmentio/kafka-go"
)

// Options tune Topics.
type Options struct {
	// Connector authenticates and encrypts the connections; nil is
	// plaintext.
	Connector *kafkaconn.Connector
	// Progress, if set, gets a line every ProgressEvery while a long log
	// is read (the command passes stderr).
	Progress      io.Writer
	ProgressEvery time.Duration
}

// Topics verifies the chains of every record in topics (full topic names)
// with key, as the records are when each partition's scan starts. The
// report lists the first break of each aggregate; its Clean method says
// whether the logs are intact. The error is for a log that could not be
// read, never for a break.
func Topics(ctx context.Context, brokers []string, topics []string, key []byte, opts Options) (chain.Report, error) {
	v, err := chain.NewVerifier(key)
	if err != nil {
		return chain.Report{}, err
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = 2 * time.Second
	}
	start := time.Now()
	next := start.Add(opts.ProgressEvery)
	records := 0
	for _, topic := range topics {
		v.Touch(topic)
		err := logscan.Scan(ctx, brokers, opts.Connector, topic, func(m kafka.Message) error {
			v.Add(chain.Record{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: m.Key, Value: m.Value})
			records++
			if opts.Progress != nil && time.Now().After(next) {
				next = time.Now().Add(opts.ProgressEvery)
				elapsed := time.Since(start)
				fmt.Fprintf(opts.Progress, "verify-chain: %s partition %d offset %d; %d records in %s (%.0f/s)\n",
					m.Topic, m.Partition, m.Offset, records, elapsed.Round(time.Second), float64(records)/elapsed.Seconds())
			}
			return nil
		})
		if err != nil {
			return v.Report(), fmt.Errorf("verify-chain: reading %s: %w", topic, err)
		}
	}
	return v.Report(), nil
}
