package intake

import "github.com/paycore/paycore/events"

// TxnIDPattern: the transaction_id of a payment's outcome, a lowercase
// UUID; a refund names its original payment by it.
const TxnIDPattern = SigningIDPattern

// refund starts a refund of a finished payment. The command is keyed by
// the ORIGINAL payment's TxnID, not by the refund: every refund of a
// payment must reach the payment's partition, where the saga checks the
// refundable remainder serially. RefundID derives from the channel and
// the idempotency key, like every other request's ID.
//
// Whether the payment exists, belongs to the channel and can take the
// amount is for the saga to say (payment_not_found,
// refund_other_channel, payment_not_refundable, refund_exceeds_original):
// the intake holds no state.
func (h *Handler) refund(req events.Request) (command, *rejection, error) {
	var body events.RefundBody
	if rej := decodeBody(req.Body, &body); rej != nil {
		return command{}, rej, nil
	}
	if !signingIDRE.MatchString(body.TxnID) {
		return command{}, reject(events.ReasonPaymentNotFound, "body.txn_id", "is not a transaction_id issued by paycore"), nil
	}
	if rej := positiveAmount(body.Amount); rej != nil {
		return command{}, rej, nil
	}
	hash, err := bodyHash(body)
	if err != nil {
		return command{}, nil, err
	}
	refundID := events.DeriveID("refund", req.ChannelID, req.IdempotencyKey)
	return command{
		topic:         h.cfg.Topics.SagaInbox,
		key:           body.TxnID,
		id:            commandID(req, hash),
		correlationID: refundID,
		payload: events.StartRefund{
			RefundID:       refundID,
			TxnID:          body.TxnID,
			ChannelID:      req.ChannelID,
			OrderID:        req.OrderID,
			IdempotencyKey: req.IdempotencyKey,
			BodyHash:       hash,
			Amount:         body.Amount,
		},
	}, nil, nil
}
