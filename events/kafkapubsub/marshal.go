package kafkapubsub

import (
	"context"
	"fmt"
	"slices"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/segmentio/kafka-go"
)

// MetadataPartitionKey is the metadata key whose value becomes the Kafka
// record key, and so picks the partition: messages sharing it keep their
// order. Without it the message UUID is the key. It travels as the record
// key, not as a header, and a consumed message always carries the record
// key under it, also for records other producers wrote.
const MetadataPartitionKey = "partition_key"

// HeaderUUID is the record header carrying the watermill message UUID. The
// name is watermill-kafka's, so records interoperate with services using
// that library. A consumed record without it gets the UUID
// "<topic>/<partition>/<offset>", stable across redeliveries.
const HeaderUUID = "_watermill_message_uuid"

// toKafka maps a watermill message to a record for topic: metadata become
// headers (in key order, so the same message always yields the same
// bytes), the UUID travels in HeaderUUID, and the partition key or UUID
// becomes the record key.
func toKafka(topic string, msg *message.Message) kafka.Message {
	keys := make([]string, 0, len(msg.Metadata))
	for k := range msg.Metadata {
		if k != MetadataPartitionKey && k != HeaderUUID {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)

	headers := make([]kafka.Header, 0, len(keys)+1)
	headers = append(headers, kafka.Header{Key: HeaderUUID, Value: []byte(msg.UUID)})
	for _, k := range keys {
		headers = append(headers, kafka.Header{Key: k, Value: []byte(msg.Metadata[k])})
	}

	key := msg.Metadata.Get(MetadataPartitionKey)
	if key == "" {
		key = msg.UUID
	}
	return kafka.Message{
		Topic:   topic,
		Key:     []byte(key),
		Value:   msg.Payload,
		Headers: headers,
	}
}

// fromKafka maps a record back: headers become metadata (the last of
// repeated header keys wins), the record key becomes MetadataPartitionKey.
func fromKafka(rec kafka.Message) *message.Message {
	md := make(message.Metadata, len(rec.Headers)+1)
	var uuid string
	for _, h := range rec.Headers {
		if h.Key == HeaderUUID {
			uuid = string(h.Value)
			continue
		}
		md[h.Key] = string(h.Value)
	}
	if len(rec.Key) > 0 {
		md[MetadataPartitionKey] = string(rec.Key)
	}
	if uuid == "" {
		uuid = fmt.Sprintf("%s/%d/%d", rec.Topic, rec.Partition, rec.Offset)
	}
	msg := message.NewMessage(uuid, rec.Value)
	msg.Metadata = md
	msg.SetContext(withPosition(msg.Context(), rec))
	return msg
}

type recordPositionKey struct{}

func withPosition(ctx context.Context, rec kafka.Message) context.Context {
	return context.WithValue(ctx, recordPositionKey{}, recordPosition{rec.Partition, rec.Offset})
}

type recordPosition struct {
	partition int
	offset    int64
}

// PartitionOffset returns where a consumed message was in Kafka: handlers
// that project records (ClickHouse rows) keep it as their provenance.
// It returns -1, -1 for a message that did not come from a Subscriber.
func PartitionOffset(msg *message.Message) (int, int64) {
	if pos, ok := msg.Context().Value(recordPositionKey{}).(recordPosition); ok {
		return pos.partition, pos.offset
	}
	return -1, -1
}
