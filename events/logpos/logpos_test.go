package logpos_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/paycore/paycore/events/kafkapubsub/kafkatest"
	"github.com/paycore/paycore/events/logpos"
	"github.com/segmentio/kafka-go"
)

func TestParse(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	for in, want := range map[string]logpos.From{
		"beginning":                      logpos.Start,
		"offset:0":                       logpos.AtOffset(0),
		"offset:1234":                    logpos.AtOffset(1234),
		"time:2026-03-01T00:00:00+08:00": logpos.At(at),
	} {
		got, err := logpos.Parse(in)
		if err != nil || got.Kind != want.Kind || got.Offset != want.Offset || !got.Time.Equal(want.Time) {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if back, _ := logpos.Parse(got.String()); back.Kind != got.Kind || back.Offset != got.Offset || !back.Time.Equal(got.Time) {
			t.Errorf("%q does not survive String (%q)", in, got.String())
		}
	}
	for _, in := range []string{"", "start", "offset:", "offset:-1", "offset:1.5", "time:yesterday", "time:2026-03-01", "offset"} {
		if _, err := logpos.Parse(in); err == nil {
			t.Errorf("Parse(%q) accepted", in)
		}
	}
}

// TestResolveOnTheBroker writes records with known timestamps to two
// partitions and resolves every kind of From against them.
func TestResolveOnTheBroker(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Brokers(t)
	topic := kafkatest.UniqueTopic(t, "logpos")
	kafkatest.CreateTopic(t, brokers, topic, 2)
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	// Partition 0: 10 records, one a minute from base; partition 1: 4.
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, Balancer: partitionByKey{}, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	var msgs []kafka.Message
	for p, n := range []int{10, 4} {
		for i := range n {
			msgs = append(msgs, kafka.Message{Key: []byte{byte(p)}, Value: fmt.Appendf(nil, "%d-%d", p, i), Time: base.Add(time.Duration(i) * time.Minute)})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	starts := func(from logpos.From) []int64 {
		t.Helper()
		parts, err := logpos.Resolve(ctx, brokers, nil, []string{topic}, from, time.Now())
		if err != nil {
			t.Fatalf("%s: %v", from, err)
		}
		if len(parts) != 2 || parts[0].Partition != 0 || parts[0].End != 10 || parts[1].End != 4 {
			t.Fatalf("%s: partitions %+v", from, parts)
		}
		return []int64{parts[0].Start, parts[1].Start}
	}
	for _, c := range []struct {
		from logpos.From
		want [2]int64
	}{
		{logpos.Start, [2]int64{0, 0}},
		{logpos.AtOffset(3), [2]int64{3, 3}},
		{logpos.AtOffset(7), [2]int64{7, 4}}, // past partition 1's end: nothing there
		{logpos.At(base.Add(-time.Minute)), [2]int64{0, 0}},
		{logpos.At(base.Add(5 * time.Minute)), [2]int64{5, 4}},
		{logpos.At(base.Add(5*time.Minute - time.Second)), [2]int64{5, 4}},
		{logpos.At(base.Add(30 * time.Minute)), [2]int64{10, 4}},
	} {
		if got := starts(c.from); got[0] != c.want[0] || got[1] != c.want[1] {
			t.Errorf("%s: starts %v, want %v", c.from, got, c.want)
		}
	}
	if _, err := logpos.Resolve(ctx, brokers, nil, []string{topic}, logpos.AtOffset(11), time.Now()); !errors.Is(err, logpos.ErrBeyondEnd) {
		t.Errorf("offset 11: %v, want ErrBeyondEnd", err)
	}
	if _, err := logpos.Resolve(ctx, brokers, nil, []string{topic}, logpos.At(time.Now().Add(time.Hour)), time.Now()); !errors.Is(err, logpos.ErrFuture) {
		t.Errorf("a time in an hour: %v, want ErrFuture", err)
	}
	if _, err := logpos.Resolve(ctx, brokers, nil, []string{topic + ".missing"}, logpos.Start, time.Now()); err == nil {
		t.Error("a missing topic resolved")
	}
	if _, err := logpos.Resolve(ctx, []string{"127.0.0.1:1"}, nil, []string{topic}, logpos.Start, time.Now()); err == nil {
		t.Error("an unreachable broker resolved")
	}
}

// partitionByKey sends a record to the partition named by its one-byte key.
type partitionByKey struct{}

func (partitionByKey) Balance(m kafka.Message, _ ...int) int { return int(m.Key[0]) }
