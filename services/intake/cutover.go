package intake

import (
	"errors"
	"fmt"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/cutover"
)

// RouteSource hands the intake the cutover rules in force (nil: none
// published yet). Rules must be safe for concurrent use and must not block
// or do I/O: Handle calls it. *cutover.Follower implements it.
//
// A request is routed by the rules in force when the intake handles it, so
// the same request handled again after a rules change (a redelivery, or
// the channel resending its idempotency key) may be decided differently.
// That is why the intake does not send a payment to a path itself: the
// cutover router keeps the first decision per TxnID and forwards every
// repeat there (see package cutover).
type RouteSource interface {
	Rules() *cutover.Rules
}

// validateCutover checks the cutover settings: with Routes set, both
// cutover topics are required and distinct from the others.
func (c Config) validateCutover() error {
	if c.Routes == nil {
		return nil
	}
	others := map[string]bool{c.Topics.SagaInbox: true, c.Topics.PayerInbox: true, c.Topics.Outcomes: true, c.Topics.Rejects: true}
	switch {
	case c.Topics.CutoverInbox == "":
		return errors.New("intake: Routes is set but Topics.CutoverInbox is empty")
	case c.Topics.DirectInbox == "":
		return errors.New("intake: Routes is set but Topics.DirectInbox is empty")
	case c.Topics.CutoverInbox == c.Topics.DirectInbox, others[c.Topics.CutoverInbox], others[c.Topics.DirectInbox]:
		return fmt.Errorf("intake: Topics.CutoverInbox %q and Topics.DirectInbox %q must differ from each other and the other topics",
			c.Topics.CutoverInbox, c.Topics.DirectInbox)
	}
	return nil
}

// routedPay is pay under cutover: without Routes the payment goes to the
// saga as always; with Routes it goes to the cutover router with the
// decision of the rules in force, which the router records unless the
// TxnID was routed before.
func (h *Handler) routedPay(req events.Request) (command, *rejection, error) {
	cmd, rej, err := h.pay(req)
	if err != nil || rej != nil || h.cfg.Routes == nil {
		return cmd, rej, err
	}
	pay, ok := cmd.payload.(events.StartPayment)
	if !ok {
		return command{}, nil, fmt.Errorf("intake: pay built %T, not a StartPayment", cmd.payload)
	}
	d := h.cfg.Routes.Rules().Route(cutover.Request{ChannelID: pay.ChannelID, PayerKey: pay.PayerKey, AgreementNo: pay.AgreementNo})
	cmd.topic = h.cfg.Topics.CutoverInbox
	cmd.payload = events.RoutePayment{Payment: pay, Path: d.Path, RouteVersion: d.Version, Clause: d.Clause}
	return cmd, nil, nil
}

// legacyRefund sends a legacy_refund to the direct path, keyed by the
// original payment's TxnID so that it meets its payment, with the
// institution's legacy refund method under the rules in force. Whether the
// payment exists, took the direct path and can take the refund is the
// direct path's to say.
func (h *Handler) legacyRefund(req events.Request) (command, *rejection, error) {
	var body events.LegacyRefundBody
	if rej := decodeBody(req.Body, &body); rej != nil {
		return command{}, rej, nil
	}
	// Transaction IDs are lowercase UUIDs, like signing IDs.
	if !signingIDRE.MatchString(body.TxnID) {
		return command{}, reject(events.ReasonNotDirectPayment, "body.txn_id", "is not a transaction_id issued by paycore"), nil
	}
	if rej := positiveAmount(body.Amount); rej != nil {
		return command{}, rej, nil
	}
	if h.cfg.Routes == nil {
		return command{}, reject(events.ReasonLegacyPathUnavailable, "type", "legacy_refund needs the cutover (legacy direct path) to be enabled"), nil
	}
	hash, err := bodyHash(body)
	if err != nil {
		return command{}, nil, err
	}
	rules := h.cfg.Routes.Rules()
	refundID := events.DeriveID("legacy_refund", req.ChannelID, req.IdempotencyKey)
	return command{
		topic:         h.cfg.Topics.DirectInbox,
		key:           body.TxnID,
		id:            commandID(req, hash),
		correlationID: refundID,
		payload: events.StartLegacyRefund{
			RefundID:       refundID,
			TxnID:          body.TxnID,
			ChannelID:      req.ChannelID,
			OrderID:        req.OrderID,
			IdempotencyKey: req.IdempotencyKey,
			BodyHash:       hash,
			Amount:         body.Amount,
			Method:         rules.LegacyRefundMethod(req.ChannelID),
			RouteVersion:   rules.Version(),
		},
	}, nil, nil
}
