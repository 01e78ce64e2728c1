// Package channel is a small Go client for upstream channels (payment
// institutions): build requests, publish them on the requests topic, and
// wait for their outcomes. Any Kafka client works just as well (see
// schemas/requests/README.md); the demo, the load test and the integration
// tests use this one.
package channel

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/services/logscan"
	"github.com/segmentio/kafka-go"
)

// Client publishes requests.
type Client struct {
	w *kafka.Writer
}

// NewClient returns a client publishing to requestsTopic, connecting
// through c (nil: plaintext).
func NewClient(brokers []string, c *kafkaconn.Connector, requestsTopic string) *Client {
	return &Client{w: &kafka.Writer{
		Addr: kafka.TCP(brokers...), Transport: c.Transport(), Topic: requestsTopic,
		Balancer: &kafka.Murmur2Balancer{}, RequiredAcks: kafka.RequireAll,
		BatchSize: 1000, BatchBytes: 16 << 20, BatchTimeout: 2 * time.Millisecond, WriteTimeout: 10 * time.Second,
	}}
}

// Close flushes and closes the client.
func (c *Client) Close() error { return c.w.Close() }

// Send publishes requests, keyed by order ID, in one produce call.
func (c *Client) Send(ctx context.Context, reqs ...events.Request) error {
	msgs := make([]kafka.Message, len(reqs))
	for i, r := range reqs {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		msgs[i] = kafka.Message{Key: []byte(r.OrderID), Value: b}
	}
	return c.w.WriteMessages(ctx, msgs...)
}

// SendRaw publishes arbitrary bytes (hostile-input tests).
func (c *Client) SendRaw(ctx context.Context, key string, value []byte) error {
	return c.w.WriteMessages(ctx, kafka.Message{Key: []byte(key), Value: value})
}

func request(typ, channelID, orderID, key string, body any) events.Request {
	b, err := json.Marshal(body)
	if err != nil {
		panic(err) // bodies are our own struct types
	}
	return events.Request{Type: typ, Version: 1, ChannelID: channelID, OrderID: orderID, IdempotencyKey: key, Body: b}
}

// Sign builds a sign_agreement request.
func Sign(channelID, orderID, key string, body events.SignAgreementBody) events.Request {
	return request(events.RequestSignAgreement, channelID, orderID, key, body)
}

// Confirm builds a confirm_signing request.
func Confirm(channelID, orderID, key, signingID, code string) events.Request {
	return request(events.RequestConfirmSigning, channelID, orderID, key, events.ConfirmSigningBody{SigningID: signingID, SMSCode: code})
}

// Terminate builds a terminate_agreement request.
func Terminate(channelID, orderID, key, agreementNo string) events.Request {
	return request(events.RequestTerminateAgreement, channelID, orderID, key, events.TerminateAgreementBody{AgreementNo: agreementNo})
}

// Pay builds a pay request.
func Pay(channelID, orderID, key, agreementNo string, amount events.Money) events.Request {
	return request(events.RequestPay, channelID, orderID, key, events.PayBody{AgreementNo: agreementNo, Amount: amount})
}

// Refund builds a refund request of payment txnID (the transaction_id of
// its outcome).
func Refund(channelID, orderID, key, txnID string, amount events.Money) events.Request {
	return request(events.RequestRefund, channelID, orderID, key, events.RefundBody{TxnID: txnID, Amount: amount})
}

// LegacyRefund builds a legacy_refund request of direct-path payment
// txnID, paid by the institution's legacy refund method.
func LegacyRefund(channelID, orderID, key, txnID string, amount events.Money) events.Request {
	return request(events.RequestLegacyRefund, channelID, orderID, key, events.LegacyRefundBody{TxnID: txnID, Amount: amount})
}

// Outcomes follows the outcomes topic from its beginning and indexes
// outcomes by order ID (by the record key when the request was unreadable).
type Outcomes struct {
	mu      sync.Mutex
	changed chan struct{}
	byOrder map[string][]events.Outcome
	seen    map[string]bool
	total   int
}

// Watch starts following topic until ctx ends, connecting through c
// (nil: plaintext).
func Watch(ctx context.Context, brokers []string, c *kafkaconn.Connector, topic string) (*Outcomes, error) {
	msgs, err := logscan.Follow(ctx, brokers, c, topic)
	if err != nil {
		return nil, err
	}
	o := &Outcomes{changed: make(chan struct{}), byOrder: map[string][]events.Outcome{}, seen: map[string]bool{}}
	go func() {
		for m := range msgs {
			var out events.Outcome
			if json.Unmarshal(m.Value, &out) != nil {
				continue
			}
			// An outcome of a record whose order ID could not be read
			// (too large, not JSON) is keyed by the record's own key.
			order := out.OrderID
			if order == "" {
				order = string(m.Key)
			}
			o.mu.Lock()
			if !o.seen[out.OutcomeID] { // redelivered outcomes share an ID
				o.seen[out.OutcomeID] = true
				o.byOrder[order] = append(o.byOrder[order], out)
				o.total++
				close(o.changed)
				o.changed = make(chan struct{})
			}
			o.mu.Unlock()
		}
	}()
	return o, nil
}

// Get returns the outcomes seen so far for an order ID.
func (o *Outcomes) Get(orderID string) []events.Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]events.Outcome(nil), o.byOrder[orderID]...)
}

// Total returns the number of distinct outcomes seen.
func (o *Outcomes) Total() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.total
}

// Wait blocks until an outcome for orderID satisfies ok, or ctx ends.
func (o *Outcomes) Wait(ctx context.Context, orderID string, ok func(events.Outcome) bool) (events.Outcome, error) {
	for {
		o.mu.Lock()
		for _, out := range o.byOrder[orderID] {
			if ok(out) {
				o.mu.Unlock()
				return out, nil
			}
		}
		changed := o.changed
		o.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return events.Outcome{}, fmt.Errorf("no matching outcome for order %s: %w (seen: %+v)", orderID, ctx.Err(), o.Get(orderID))
		}
	}
}

// WaitAll blocks until every order ID has an outcome satisfying ok.
func (o *Outcomes) WaitAll(ctx context.Context, orderIDs []string, ok func(events.Outcome) bool) error {
	for _, id := range orderIDs {
		if _, err := o.Wait(ctx, id, ok); err != nil {
			return err
		}
	}
	return nil
}

// Any accepts any outcome.
func Any(events.Outcome) bool { return true }

// Final accepts a payment's final outcome or a rejection.
func Final(o events.Outcome) bool {
	switch o.Status {
	case events.StatusSuccess, events.StatusFailure, events.StatusPresumedSuccess, events.StatusPresumedFailure, events.StatusRejected:
		return true
	}
	return false
}

// SignAndConfirm runs a whole signing as a channel does: sign_agreement,
// wait for sms_sent, ask the customer for the code (smsCode plays the
// customer's phone), confirm_signing, wait for signed. orderPrefix makes
// the two order IDs (and idempotency keys). It returns the agreement number.
func SignAndConfirm(ctx context.Context, c *Client, o *Outcomes, channelID, orderPrefix string,
	body events.SignAgreementBody, smsCode func(signingID string) string) (string, error) {
	signOrder, confirmOrder := orderPrefix+"-sign", orderPrefix+"-confirm"
	if err := c.Send(ctx, Sign(channelID, signOrder, signOrder, body)); err != nil {
		return "", err
	}
	sent, err := o.Wait(ctx, signOrder, Any)
	if err != nil {
		return "", err
	}
	if sent.Status != events.StatusSMSSent {
		return "", fmt.Errorf("signing %s: %s (%s)", signOrder, sent.Status, sent.ReasonCode)
	}
	if err := c.Send(ctx, Confirm(channelID, confirmOrder, confirmOrder, sent.SigningID, smsCode(sent.SigningID))); err != nil {
		return "", err
	}
	signed, err := o.Wait(ctx, confirmOrder, Any)
	if err != nil {
		return "", err
	}
	if signed.Status != events.StatusSigned {
		return "", fmt.Errorf("confirm %s: %s (%s)", confirmOrder, signed.Status, signed.ReasonCode)
	}
	return signed.AgreementNo, nil
}
