package kafkapubsub

import (
	"maps"
	"slices"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/segmentio/kafka-go"
)

func TestToKafka(t *testing.T) {
	msg := message.NewMessage("uuid-1", []byte(`{"amount":"10.00"}`))
	msg.Metadata.Set("type", "PaymentAccepted")
	msg.Metadata.Set("b", "2")
	msg.Metadata.Set(MetadataPartitionKey, "acct-42")
	msg.Metadata.Set(HeaderUUID, "spoofed")

	rec := toKafka("payments", msg)

	if rec.Topic != "payments" || string(rec.Key) != "acct-42" || string(rec.Value) != `{"amount":"10.00"}` {
		t.Errorf("record = topic %q key %q value %q", rec.Topic, rec.Key, rec.Value)
	}
	// The UUID header comes first, metadata follow in key order; the
	// partition key is the record key, not a header; a metadata entry
	// named like the UUID header cannot override the UUID.
	want := []kafka.Header{
		{Key: HeaderUUID, Value: []byte("uuid-1")},
		{Key: "b", Value: []byte("2")},
		{Key: "type", Value: []byte("PaymentAccepted")},
	}
	if !slices.EqualFunc(rec.Headers, want, func(a, b kafka.Header) bool {
		return a.Key == b.Key && string(a.Value) == string(b.Value)
	}) {
		t.Errorf("headers = %q, want %q", rec.Headers, want)
	}
}

func TestToKafkaKeyFallsBackToUUID(t *testing.T) {
	msg := message.NewMessage("uuid-2", nil)
	msg.Metadata.Set(MetadataPartitionKey, "")
	if rec := toKafka("t", msg); string(rec.Key) != "uuid-2" {
		t.Errorf("key = %q, want the UUID", rec.Key)
	}
}

func TestRoundTrip(t *testing.T) {
	msg := message.NewMessage("uuid-3", []byte("payload"))
	msg.Metadata.Set("type", "PaymentAccepted")
	msg.Metadata.Set("empty", "")
	msg.Metadata.Set(MetadataPartitionKey, "acct-7")

	got := fromKafka(toKafka("t", msg))

	if got.UUID != msg.UUID || string(got.Payload) != "payload" {
		t.Errorf("got UUID %q payload %q", got.UUID, got.Payload)
	}
	if !maps.Equal(got.Metadata, msg.Metadata) {
		t.Errorf("metadata = %v, want %v", got.Metadata, msg.Metadata)
	}
}

func TestFromKafkaForeignRecord(t *testing.T) {
	// A record from a producer that knows nothing of watermill: no UUID
	// header, a key, a repeated header.
	rec := kafka.Message{
		Topic: "payments", Partition: 3, Offset: 1234,
		Key:   []byte("acct-9"),
		Value: []byte("v"),
		Headers: []kafka.Header{
			{Key: "h", Value: []byte("first")},
			{Key: "h", Value: []byte("last")},
		},
	}
	got := fromKafka(rec)
	if got.UUID != "payments/3/1234" {
		t.Errorf("UUID = %q, want topic/partition/offset", got.UUID)
	}
	want := message.Metadata{"h": "last", MetadataPartitionKey: "acct-9"}
	if !maps.Equal(got.Metadata, want) {
		t.Errorf("metadata = %v, want %v", got.Metadata, want)
	}
}

func TestPoisonRecord(t *testing.T) {
	rec := kafka.Message{
		Topic: "payments", Partition: 2, Offset: 77,
		Key:   []byte("acct-1"),
		Value: []byte("v"),
		Headers: []kafka.Header{
			{Key: HeaderUUID, Value: []byte("u")},
			{Key: HeaderPoisonReason, Value: []byte("an earlier poisoning")},
		},
	}
	got := poisonRecord(rec, "payments.poison", "ledger", "nacked 3 times")

	if got.Topic != "payments.poison" || string(got.Key) != "acct-1" || string(got.Value) != "v" {
		t.Errorf("record = topic %q key %q value %q", got.Topic, got.Key, got.Value)
	}
	headers := map[string][]string{}
	for _, h := range got.Headers {
		headers[h.Key] = append(headers[h.Key], string(h.Value))
	}
	want := map[string][]string{
		HeaderUUID:                {"u"},
		HeaderPoisonReason:        {"nacked 3 times"},
		HeaderPoisonTopic:         {"payments"},
		HeaderPoisonPartition:     {"2"},
		HeaderPoisonOffset:        {"77"},
		HeaderPoisonConsumerGroup: {"ledger"},
	}
	if !maps.EqualFunc(headers, want, slices.Equal) {
		t.Errorf("headers = %v, want %v", headers, want)
	}
}
