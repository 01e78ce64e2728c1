package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/chain"
	"github.com/paycore/paycore/events/kafkapubsub/kafkatest"
	"github.com/paycore/paycore/services/app"
	"github.com/paycore/paycore/services/chainverify"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/logscan"
	"github.com/paycore/paycore/services/topology"
	"github.com/segmentio/kafka-go"
)

var testChainKey = []byte("e2e-chain-key-e2e-chain-key-e2e-chain-key")

// TestEventChainsDetectTampering runs payments through the real
// processors, restarts them from snapshots and runs more payments on the
// same accounts, and requires every chain to verify. Then it tampers with
// the logs, once by appending a forged event to payer.events and once by
// altering one record in a copy of saga.events, and requires the verifier
// to name exactly the record at fault.
func TestEventChainsDetectTampering(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t, 2)
	cfg.Runtime.SnapshotEvery = 15
	cfg.Secrets.Chain = testChainKey
	h := startHarness(t, cfg)
	top := cfg.Kafka.Topology
	logs := []string{top.Name(topology.SagaEvents), top.Name(topology.PayerEvts), top.Name(topology.ResEvents)}

	var agreements []string
	for i := range 4 {
		acc := h.openAccount(fmt.Sprintf("62220505%011d", i), "5000.00")
		agreements = append(agreements, h.sign(chanID, acc, "500.00", "4000.00"))
	}
	pay := func(wave string, n int) {
		t.Helper()
		var orders []string
		var reqs []events.Request
		for i := range n {
			order := fmt.Sprintf("chain-%s-%d", wave, i)
			orders = append(orders, order)
			reqs = append(reqs, channel.Pay(chanID, order, order, agreements[i%len(agreements)], events.CNY(fmt.Sprintf("%d.10", 1+i*13%200))))
		}
		h.send(reqs...)
		if err := h.outcomes.WaitAll(h.ctx, orders, channel.Final); err != nil {
			t.Fatal(err)
		}
	}
	pay("before", 30)
	h.shutdown()
	before := verifyClean(t, cfg.Kafka.Brokers, logs)

	// The payer bank restarts from its snapshots: its accounts' chains
	// must continue from the snapshot's chain state, or their next events
	// break.
	fromSnapshot := 0
	runners, err := app.Runners(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runners {
		if r.Name() != app.Payer {
			continue
		}
		for p := range 2 {
			_, stats, err := r.Rebuild(h.ctx, p, true)
			if err != nil {
				t.Fatal(err)
			}
			if stats.FromSnapshot {
				fromSnapshot++
			}
		}
	}
	if fromSnapshot == 0 {
		t.Fatal("no payer partition has a snapshot: the restart would not exercise restoring the chain state")
	}
	runCtx, stop := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- app.Run(runCtx, cfg, false) }()
	pay("after", 20)
	stop()
	if err := <-done; err != nil {
		t.Fatalf("restarted processors stopped with: %v", err)
	}
	after := verifyClean(t, cfg.Kafka.Brokers, logs)
	for i := range after.Topics {
		if after.Topics[i].Chained <= before.Topics[i].Chained {
			t.Fatalf("%s: %d chained events after the restart, %d before: nothing was written after it",
				after.Topics[i].Topic, after.Topics[i].Chained, before.Topics[i].Chained)
		}
	}

	t.Run("forged event appended to the live log", func(t *testing.T) {
		payerLog := top.Name(topology.PayerEvts)
		// The forger copies the account's last debit, raises the amount,
		// gives it the next sequence and keeps the chain value: without
		// the key there is no other to give.
		var last events.Envelope
		scan(t, cfg.Kafka.Brokers, payerLog, func(m kafka.Message, env events.Envelope) {
			if env.Type == "payer.payer_debited" {
				last = env
			}
		})
		if last.ID == "" {
			t.Fatal("no payer.payer_debited in the log")
		}
		var latest uint64
		scan(t, cfg.Kafka.Brokers, payerLog, func(_ kafka.Message, env events.Envelope) {
			if env.AggregateID == last.AggregateID {
				latest = max(latest, env.Sequence)
			}
		})
		forged := last
		forged.ID = events.DeriveID("forged", last.ID)
		forged.Sequence = latest + 1
		forged.Payload = replaceAmount(t, forged.Payload, "4999.99")
		wire, err := events.Marshal(forged)
		if err != nil {
			t.Fatal(err)
		}
		w := &kafka.Writer{Addr: kafka.TCP(cfg.Kafka.Brokers...), Balancer: &kafka.Murmur2Balancer{}, RequiredAcks: kafka.RequireAll}
		defer w.Close()
		if err := w.WriteMessages(h.ctx, kafka.Message{Topic: payerLog, Key: []byte(forged.AggregateID), Value: wire}); err != nil {
			t.Fatal(err)
		}
		at := locate(t, cfg.Kafka.Brokers, payerLog, forged.ID)
		rep := verify(t, cfg.Kafka.Brokers, []string{payerLog})
		requireOneBreak(t, rep, chain.Break{Topic: payerLog, Partition: at.Partition, Offset: at.Offset, AggregateID: forged.AggregateID, Sequence: forged.Sequence}, "chain mismatch")
	})

	t.Run("one record altered in a copy of the log", func(t *testing.T) {
		sagaLog := top.Name(topology.SagaEvents)
		copied := kafkatest.UniqueTopic(t, "chain-copy")
		kafkatest.CreateTopic(t, cfg.Kafka.Brokers, copied, 2)
		// Alter the amount of the third payment.started, in place: same
		// offset, same key, same sequence, chain value kept.
		var msgs []kafka.Message
		var target events.Envelope
		var targetIndex int
		started := 0
		scan(t, cfg.Kafka.Brokers, sagaLog, func(m kafka.Message, env events.Envelope) {
			value := m.Value
			if env.Type == "payment.started" {
				started++
				if started == 3 {
					value = replaceAmountInRecord(t, m.Value, "4999.99")
					target, targetIndex = env, len(msgs)
				}
			}
			msgs = append(msgs, kafka.Message{Topic: copied, Partition: m.Partition, Key: m.Key, Value: value})
		})
		if target.ID == "" {
			t.Fatal("fewer than three payment.started in the log")
		}
		w := &kafka.Writer{Addr: kafka.TCP(cfg.Kafka.Brokers...), Balancer: samePartition{}, RequiredAcks: kafka.RequireAll, BatchSize: len(msgs)}
		defer w.Close()
		// The writer's metadata may not know the new topic yet; nothing is
		// written until it does, so retrying keeps the order.
		for attempt := 1; ; attempt++ {
			err := w.WriteMessages(h.ctx, msgs...)
			if err == nil {
				break
			}
			if !errors.Is(err, kafka.UnknownTopicOrPartition) || attempt == 40 {
				t.Fatal(err)
			}
			time.Sleep(250 * time.Millisecond)
		}
		// Offsets in the copy: the records before the target in its
		// partition, since the copy starts empty.
		offset := int64(0)
		for _, m := range msgs[:targetIndex] {
			if m.Partition == msgs[targetIndex].Partition {
				offset++
			}
		}
		rep := verify(t, cfg.Kafka.Brokers, []string{copied})
		requireOneBreak(t, rep, chain.Break{Topic: copied, Partition: msgs[targetIndex].Partition, Offset: offset, AggregateID: target.AggregateID, Sequence: target.Sequence}, "chain mismatch")
		if st := rep.Topics[0]; st.Records != len(msgs) {
			t.Fatalf("verified %d records of the copy, wrote %d", st.Records, len(msgs))
		}
	})
}

// samePartition keeps each copied record in the partition it came from.
type samePartition struct{}

func (samePartition) Balance(m kafka.Message, _ ...int) int { return m.Partition }

func verify(t *testing.T, brokers, topics []string) chain.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := chainverify.Topics(ctx, brokers, topics, testChainKey, chainverify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// verifyClean verifies topics and requires intact chains with every
// event chained (the log was written with chaining from the start).
func verifyClean(t *testing.T, brokers, topics []string) chain.Report {
	t.Helper()
	rep := verify(t, brokers, topics)
	if !rep.Clean() {
		t.Fatalf("untampered logs do not verify:\n%s", rep)
	}
	for _, st := range rep.Topics {
		if st.Chained == 0 || st.Unchained != 0 || st.Records != st.Chained+st.Duplicates {
			t.Fatalf("%s: want every event chained:\n%s", st.Topic, rep)
		}
	}
	t.Logf("verified:\n%s", rep)
	return rep
}

func requireOneBreak(t *testing.T, rep chain.Report, want chain.Break, reason string) {
	t.Helper()
	if rep.Clean() || len(rep.Breaks) != 1 {
		t.Fatalf("want exactly one broken aggregate, at %s:\n%s", want, rep)
	}
	got := rep.Breaks[0]
	if !strings.Contains(got.Reason, reason) {
		t.Fatalf("break %s; want reason %q", got, reason)
	}
	got.Reason, want.Reason = "", ""
	if got != want {
		t.Fatalf("break at %s\nwant      %s\n%s", got, want, rep)
	}
}

// scan calls fn for every record of topic with its decoded envelope.
func scan(t *testing.T, brokers []string, topic string, fn func(kafka.Message, events.Envelope)) {
	t.Helper()
	err := logscan.Scan(context.Background(), brokers, nil, topic, func(m kafka.Message) error {
		env, err := events.Unmarshal(m.Value)
		if err != nil {
			return fmt.Errorf("%s/%d@%d: %w", m.Topic, m.Partition, m.Offset, err)
		}
		fn(m, env)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// locate returns the record of topic holding event id.
func locate(t *testing.T, brokers []string, topic, id string) kafka.Message {
	t.Helper()
	var found kafka.Message
	scan(t, brokers, topic, func(m kafka.Message, env events.Envelope) {
		if env.ID == id {
			found = m
		}
	})
	if found.Value == nil {
		t.Fatalf("event %s not in %s", id, topic)
	}
	return found
}

var amountRE = regexp.MustCompile(`"amount":"[0-9.]+"`)

func replaceAmount(t *testing.T, payload []byte, amount string) []byte {
	t.Helper()
	out := amountRE.ReplaceAllLiteral(payload, []byte(`"amount":"`+amount+`"`))
	if bytes.Equal(out, payload) {
		t.Fatalf("no amount to change in %s", payload)
	}
	return out
}

// replaceAmountInRecord changes the first amount of a stored record, the
// way someone editing the bytes of a log would.
func replaceAmountInRecord(t *testing.T, record []byte, amount string) []byte {
	t.Helper()
	loc := amountRE.FindIndex(record)
	if loc == nil {
		t.Fatalf("no amount to change in %s", record)
	}
	return append(append(bytes.Clone(record[:loc[0]]), `"amount":"`+amount+`"`...), record[loc[1]:]...)
}
