// Package kafkapubsub implements watermill's message.Publisher and
// message.Subscriber directly on segmentio/kafka-go, for paycore's
// event-sourced services.
//
// # Delivery
//
// Delivery is at least once. Publish returns after the partition leader
// has the records on all in-sync replicas (acks=all). A subscription
// delivers one message at a time and waits for its Ack or Nack before the
// next, so records of a partition reach the handler in log order. The
// offset of a message is committed synchronously after its Ack, before the
// next message is delivered; a crash or rebalance between Ack and commit
// redelivers it, so handlers deduplicate by message UUID. A Nack delivers
// the same message again after NackResendSleep; past MaxRedeliveries it
// goes to the PoisonTopic, if one is configured, and only then is its
// offset committed. Without a PoisonTopic a message is redelivered until
// acked: a payment event is never dropped.
//
// One message in flight per subscription bounds a partition's throughput
// by handler latency plus one offset commit (Kafka 4's group coordinator
// lingers group.coordinator.append.linger.ms, 5 ms by default, before it
// answers a commit). Throughput scales with partitions and group members.
//
// # Records
//
// Watermill metadata travel as record headers and the message UUID in
// HeaderUUID. The record key, which picks the partition, is the metadata
// value under MetadataPartitionKey, or else the UUID. Keys are hashed with
// murmur2 like the Java client's default partitioner, so Java producers
// and paycore agree on the partition of a key.
//
// # Topics
//
// Topics are never created implicitly: a publish to a missing topic fails
// (within WriteTimeout) and Subscribe to one returns an error.
// SubscribeInitialize creates missing topics for tests and local runs;
// production topics come from services/topology.
package kafkapubsub
