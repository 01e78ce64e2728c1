package app_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/logscan"
	"github.com/paycore/paycore/services/topology"
	"github.com/segmentio/kafka-go"
)

// TestHostileRequestsAreRejectedAndKept publishes a corpus of hostile
// records on the real requests topic: each is answered with a stable reason
// code, kept verbatim on the rejects topic, and the processors keep
// serving: a valid payment afterwards succeeds and the audit is clean.
func TestHostileRequestsAreRejectedAndKept(t *testing.T) {
	t.Parallel()
	h := startHarness(t, newConfig(t, 2))
	acc := h.openAccount("6222020200000000777", "1000.00")
	agreement := h.sign(chanID, acc, "500.00", "900.00")

	pay := func(order, amount string) string {
		return `{"type":"pay","version":1,"channel_id":"` + chanID + `","order_id":"` + order + `","idempotency_key":"` + order +
			`","body":{"agreement_no":"` + agreement + `","amount":{"amount":` + amount + `,"currency":"CNY"}}}`
	}
	corpus := []struct {
		key, value, reason string
	}{
		{"h-huge", `{"type":"pay","pad":"` + strings.Repeat("x", 70*1024) + `"}`, events.ReasonPayloadTooLarge},
		{"h-deep", strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40), events.ReasonPayloadTooLarge},
		{"h-utf8", "{\"type\":\"pay\",\"order_id\":\"\xff\xfe\"}", events.ReasonMalformedJSON},
		{"h-notjson", `pay 12.00 to me`, events.ReasonMalformedJSON},
		{"h-float", pay("h-float", `12.5`), events.CodeAmountMalformed},
		{"h-exp", pay("h-exp", `"1e3"`), events.CodeAmountMalformed},
		{"h-scale", pay("h-scale", `"0.001"`), events.CodeAmountScaleExceeded},
		{"h-huge-amount", pay("h-huge-amount", `"99999999999999999999.00"`), events.CodeAmountTooLarge},
		{"h-negative", pay("h-negative", `"-5.00"`), events.CodeAmountNegative},
		{"h-type", `{"type":"refund_all","version":1,"channel_id":"` + chanID + `","order_id":"h-type","idempotency_key":"k","body":{}}`, events.ReasonUnknownRequestType},
		{"h-version", `{"type":"pay","version":9,"channel_id":"` + chanID + `","order_id":"h-version","idempotency_key":"k","body":{}}`, events.ReasonUnsupportedVersion},
		{"h-dupkey", `{"type":"pay","type":"pay","version":1,"channel_id":"` + chanID + `","order_id":"h-dupkey","idempotency_key":"k","body":{}}`, events.ReasonSchemaViolation},
	}
	for _, c := range corpus {
		if err := h.client.SendRaw(h.ctx, c.key, []byte(c.value)); err != nil {
			t.Fatal(err)
		}
	}
	// A forged record on an internal topic: not a request, never decoded as
	// one; the processor parks it on the poison topic and goes on.
	w := &kafka.Writer{Addr: kafka.TCP(h.cfg.Kafka.Brokers...), Topic: h.cfg.Kafka.Topology.Name(topology.SagaInbox), RequiredAcks: kafka.RequireAll}
	if err := w.WriteMessages(h.ctx, kafka.Message{Key: []byte("forged"), Value: []byte(`{"id":"forged","type":"saga.start_payment"}`)}); err != nil {
		t.Fatal(err)
	}
	w.Close()

	// Outcomes keyed by order ID where the order ID was readable, by record
	// key otherwise: every hostile record has one, with its reason.
	for _, c := range corpus {
		out := h.wait(c.key, channel.Any)
		if out.Status != events.StatusRejected || out.ReasonCode != c.reason {
			t.Errorf("%s: outcome %s/%s, want rejected/%s", c.key, out.Status, out.ReasonCode, c.reason)
		}
	}
	// The processors still serve.
	if out := h.pay(chanID, agreement, "10.00"); out.Status != events.StatusSuccess {
		t.Fatalf("valid payment after the hostile corpus: %+v", out)
	}
	// Every hostile record is kept verbatim on the rejects topic.
	kept := map[string]string{}
	deadline := time.Now().Add(10 * time.Second)
	for len(kept) < len(corpus) && time.Now().Before(deadline) {
		err := logscan.Scan(h.ctx, h.cfg.Kafka.Brokers, h.cfg.Kafka.Connector, h.cfg.Kafka.Topology.Name(topology.Rejects), func(m kafka.Message) error {
			var r events.Rejected
			if err := json.Unmarshal(m.Value, &r); err != nil {
				return err
			}
			kept[r.Key] = string(r.Raw)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range corpus {
		if kept[c.key] != c.value {
			t.Errorf("%s: rejects topic holds %d bytes, want the record verbatim (%d bytes)", c.key, len(kept[c.key]), len(c.value))
		}
	}
	poisoned := 0
	if err := logscan.Scan(h.ctx, h.cfg.Kafka.Brokers, h.cfg.Kafka.Connector, h.cfg.Kafka.Topology.Name(topology.Poison), func(m kafka.Message) error {
		for _, hd := range m.Headers {
			if hd.Key == "poison_reason" && len(hd.Value) > 0 {
				poisoned++
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if poisoned != 1 {
		t.Errorf("%d records on the poison topic with a reason, want the forged one", poisoned)
	}
	h.audit()
}
