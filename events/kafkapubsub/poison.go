package kafkapubsub

import (
	"context"
	"fmt"
	"strconv"

	"github.com/segmentio/kafka-go"
)

// MetadataNackReason is the metadata key a handler may set on a delivered
// message before Nack to say why it failed; the reason of the last
// delivery goes into the poison record's HeaderPoisonReason.
const MetadataNackReason = "nack_reason"

// Headers added to a record written to the PoisonTopic. Headers of these
// names already on the record (it was poisoned before and replayed) are
// replaced.
const (
	// HeaderPoisonReason says why the record was poisoned.
	HeaderPoisonReason = "poison_reason"
	// HeaderPoisonTopic, HeaderPoisonPartition and HeaderPoisonOffset locate
	// the original record.
	HeaderPoisonTopic     = "poison_original_topic"
	HeaderPoisonPartition = "poison_original_partition"
	HeaderPoisonOffset    = "poison_original_offset"
	// HeaderPoisonConsumerGroup names the group that gave up on the record.
	HeaderPoisonConsumerGroup = "poison_consumer_group"
)

// poisonRecord returns rec bound for topic with the poison headers, key
// and value unchanged. The record gets a new timestamp so the poison
// topic's retention counts from the poisoning, not from the original write.
func poisonRecord(rec kafka.Message, topic, group, reason string) kafka.Message {
	headers := make([]kafka.Header, 0, len(rec.Headers)+5)
	for _, h := range rec.Headers {
		switch h.Key {
		case HeaderPoisonReason, HeaderPoisonTopic, HeaderPoisonPartition, HeaderPoisonOffset, HeaderPoisonConsumerGroup:
			continue
		}
		headers = append(headers, h)
	}
	headers = append(headers,
		kafka.Header{Key: HeaderPoisonReason, Value: []byte(reason)},
		kafka.Header{Key: HeaderPoisonTopic, Value: []byte(rec.Topic)},
		kafka.Header{Key: HeaderPoisonPartition, Value: []byte(strconv.Itoa(rec.Partition))},
		kafka.Header{Key: HeaderPoisonOffset, Value: []byte(strconv.FormatInt(rec.Offset, 10))},
		kafka.Header{Key: HeaderPoisonConsumerGroup, Value: []byte(group)},
	)
	return kafka.Message{Topic: topic, Key: rec.Key, Value: rec.Value, Headers: headers}
}

// poisonTo writes rec to the PoisonTopic within PoisonWriteTimeout, not
// cut short by Close: a poisoned record is committed only once written.
func (s *Subscriber) poisonTo(rec kafka.Message, reason string) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.PoisonWriteTimeout)
	defer cancel()
	out := poisonRecord(rec, s.cfg.PoisonTopic, s.cfg.ConsumerGroup, reason)
	if err := writeRecords(ctx, s.poison, s.poisonCfg, []kafka.Message{out}); err != nil {
		return fmt.Errorf("writing to poison topic %q: %w", s.cfg.PoisonTopic, err)
	}
	return nil
}
