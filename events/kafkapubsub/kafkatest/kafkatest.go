// Package kafkatest gives integration tests the Kafka cluster named by
// PAYCORE_KAFKA_BROKERS (by default the local broker of deploy/stack.sh)
// and private topics on it, so tests of several packages can run in
// parallel against one broker without seeing each other's records.
package kafkatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events/kafkapubsub/internal/kafkaadmin"
)

// EnvBrokers names the variable holding the comma-separated broker list.
const EnvBrokers = "PAYCORE_KAFKA_BROKERS"

// DefaultBrokers is the address of deploy/stack.sh's broker.
const DefaultBrokers = "127.0.0.1:19092"

const (
	// reachTimeout bounds the check that the broker answers.
	reachTimeout = 5 * time.Second
	// adminTimeout bounds creating a topic (until its partitions have
	// leaders) and deleting it.
	adminTimeout = 30 * time.Second
	// dialTimeout bounds one TCP connect.
	dialTimeout = 5 * time.Second
)

// Brokers returns the broker addresses from PAYCORE_KAFKA_BROKERS (default
// 127.0.0.1:19092) after checking, within 5 s, that the cluster answers a
// metadata request. Otherwise the test fails at once with the way to start
// the broker: an integration test without its broker is a setup error, not
// a skip.
func Brokers(t testing.TB) []string {
	t.Helper()
	brokers := brokersFromEnv()
	ctx, cancel := context.WithTimeout(context.Background(), reachTimeout)
	defer cancel()
	if _, err := kafkaadmin.Topics(ctx, brokers, nil, dialTimeout); err != nil {
		t.Fatalf("Kafka not reachable at %s: start it with deploy/stack.sh up (make test does this)\n\tcause: %v",
			strings.Join(brokers, ","), err)
	}
	return brokers
}

func brokersFromEnv() []string {
	var brokers []string
	for _, b := range strings.Split(os.Getenv(EnvBrokers), ",") {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	if len(brokers) == 0 {
		brokers = []string{DefaultBrokers}
	}
	return brokers
}

// CreateTopic creates topic name with the given number of partitions
// (replication factor 1) and waits until every partition has a leader, so
// the test can produce at once. An existing topic with another partition
// count fails the test. Cleanup deletes the topic.
func CreateTopic(t testing.TB, brokers []string, name string, partitions int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	got, err := kafkaadmin.CreateTopic(ctx, brokers, nil, dialTimeout, name, partitions, 1)
	if err != nil {
		t.Fatalf("kafkatest: %v", err)
	}
	t.Cleanup(func() {
		// Not t.Context(): it is already canceled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
		defer cancel()
		if err := kafkaadmin.DeleteTopics(ctx, brokers, nil, dialTimeout, name); err != nil {
			t.Errorf("kafkatest: %v", err)
		}
	})
	if len(got) != partitions {
		t.Fatalf("kafkatest: topic %q exists with %d partitions, want %d", name, len(got), partitions)
	}
}

// maxTestPart keeps topic names readable in kafka-topics --list; Kafka
// itself allows 249 characters.
const maxTestPart = 60

// UniqueTopic returns a topic name no other test or run uses:
// <prefix>-<test name>-<random>, reduced to the characters Kafka allows
// ([a-zA-Z0-9._-]). It creates nothing; pass the name to CreateTopic or
// to code under test. A run killed before cleanup leaves such topics
// behind, safe to delete by prefix.
func UniqueTopic(t testing.TB, prefix string) string {
	var b strings.Builder
	b.WriteString(prefix)
	b.WriteByte('-')
	dash := true
	n := 0
	for _, r := range t.Name() {
		if n == maxTestPart {
			break
		}
		n++
		// '.' is legal but Kafka warns that '.' and '_' collide in metric
		// names, so both become '-'.
		if ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	if !dash {
		b.WriteByte('-')
	}
	suffix := make([]byte, 4)
	rand.Read(suffix) // never fails; see crypto/rand.Read
	b.WriteString(hex.EncodeToString(suffix))
	return b.String()
}
