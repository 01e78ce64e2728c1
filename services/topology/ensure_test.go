package topology

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/paycore/paycore/events/kafkapubsub/kafkatest"
)

func TestEnsureCreatesThenFindsTopics(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	top, err := New(Config{Prefix: kafkatest.UniqueTopic(t, "topo") + ".", Partitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rep, err := Ensure(ctx, brokers, top, EnsureOptions{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Created) != len(top.Topics) {
		t.Fatalf("created %d topics, want %d", len(rep.Created), len(top.Topics))
	}
	rep, err = Ensure(ctx, brokers, top, EnsureOptions{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Created) != 0 || len(rep.Present) != len(top.Topics) {
		t.Fatalf("second Ensure created %v; want nothing new", rep.Created)
	}
}

func TestEnsureRefusesMismatchedCoPartitionedTopics(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	prefix := kafkatest.UniqueTopic(t, "topo") + "."
	// An operator created one event topic by hand with the wrong count.
	kafkatest.CreateTopic(t, brokers, prefix+PayerEvts, 2)
	top, _ := New(Config{Prefix: prefix, Partitions: 3})
	_, err := Ensure(context.Background(), brokers, top, EnsureOptions{Create: true})
	if !errors.Is(err, ErrMismatch) {
		t.Fatalf("err = %v, want ErrMismatch", err)
	}
}

func TestEnsureWithoutCreateNamesMissingTopics(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	top, _ := New(Config{Prefix: kafkatest.UniqueTopic(t, "topo") + ".", Partitions: 1})
	_, err := Ensure(context.Background(), brokers, top, EnsureOptions{Create: false})
	if !errors.Is(err, ErrMismatch) {
		t.Fatalf("err = %v, want ErrMismatch naming the missing topics", err)
	}
}

func TestEnsureFailsFastOnWrongPort(t *testing.T) {
	top, _ := New(Config{})
	start := time.Now()
	_, err := Ensure(context.Background(), []string{"127.0.0.1:1"}, top, EnsureOptions{Timeout: 3 * time.Second})
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v to report an unreachable broker", d)
	}
}
