package kafkapubsub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/segmentio/kafka-go"
)

// newWriter builds the synchronous, acks=all writer the Publisher and the
// poison path of the Subscriber share.
func newWriter(cfg PublisherConfig, logger watermill.LoggerAdapter) (*kafka.Writer, *kafka.Transport) {
	transport := cfg.Connector.SecureTransport(&kafka.Transport{
		ClientID:    cfg.ClientID,
		DialTimeout: cfg.DialTimeout,
		MetadataTTL: cfg.MetadataMaxAge,
	})
	return &kafka.Writer{
		Addr: kafka.TCP(cfg.Brokers...),
		// Murmur2 is the Java client's default partitioner (and
		// librdkafka's murmur2_random): a Java service, Kafka Streams or
		// kcat -X partitioner=murmur2_random producing with the same key
		// reaches the same partition, which per-key order across producers
		// needs. kafka.Hash (FNV-1a, Sarama's default) and librdkafka's
		// default CRC32 would not agree with Java. Consistent matters only
		// for nil keys, which toKafka never produces: keyless foreign
		// records sent to a poison topic share one partition, in order.
		Balancer:     &kafka.Murmur2Balancer{Consistent: true},
		RequiredAcks: kafka.RequireAll,
		MaxAttempts:  cfg.MaxWriteAttempts,
		// WriteBackoff* also space retries inside kafka-go.
		WriteBackoffMin: cfg.WriteBackoffMin,
		WriteBackoffMax: cfg.WriteBackoffMax,
		BatchSize:       cfg.BatchMaxMessages,
		BatchBytes:      cfg.BatchMaxBytes,
		BatchTimeout:    cfg.BatchTimeout,
		ReadTimeout:     cfg.WriteTimeout,
		WriteTimeout:    cfg.WriteTimeout,
		// Topics are declared (services/topology); a typo must fail, not
		// create a topic, whatever the broker's auto.create.topics.enable.
		AllowAutoTopicCreation: false,
		Transport:              transport,
		ErrorLogger:            kafkaLogger(logger, "kafka-go writer"),
	}, transport
}

// writeRecords calls WriteMessages once and repeats it only for errors
// raised before any record left the process: a topic the cached metadata
// does not know yet (created moments ago) or brokers that do not answer.
// Errors after sending (kafka.WriteErrors, the deadline while awaiting
// acks) are returned: kafka-go already retried those MaxWriteAttempts
// times.
func writeRecords(ctx context.Context, w *kafka.Writer, cfg PublisherConfig, records []kafka.Message) error {
	for attempt := 1; ; attempt++ {
		err := w.WriteMessages(ctx, records...)
		if err == nil {
			return nil
		}
		if !retriableBeforeSend(err) {
			if ctx.Err() != nil {
				return fmt.Errorf("no acknowledgement within %v, records may or may not be written: %w", cfg.WriteTimeout, err)
			}
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w after %d attempts within %v; last error: %w", ctx.Err(), attempt, cfg.WriteTimeout, err)
		case <-time.After(backoff(attempt, cfg.WriteBackoffMin, cfg.WriteBackoffMax)):
		}
	}
}

// retriableBeforeSend reports whether err came from WriteMessages before
// it enqueued anything, so that calling it again cannot duplicate a
// record, and may pass on a later call: metadata without the topic yet,
// brokers not answering. An oversized record or a closed writer would
// fail again.
func retriableBeforeSend(err error) bool {
	var writeErrs kafka.WriteErrors
	var tooLarge kafka.MessageTooLargeError
	switch {
	case errors.As(err, &writeErrs), errors.As(err, &tooLarge),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, io.ErrClosedPipe):
		return false
	}
	return true
}

func backoff(attempt int, lowest, highest time.Duration) time.Duration {
	d := lowest << min(attempt-1, 16)
	if d <= 0 || d > highest {
		return highest
	}
	return d
}

// kafkaLogger routes kafka-go's error log to logger. kafka-go logs there
// what it retries by itself (rebalances, leader moves), so it goes out at
// Info; failures that reach paycore are returned and logged as errors.
func kafkaLogger(logger watermill.LoggerAdapter, source string) kafka.Logger {
	return kafka.LoggerFunc(func(format string, args ...any) {
		logger.Info(fmt.Sprintf(format, args...), watermill.LogFields{"source": source})
	})
}
