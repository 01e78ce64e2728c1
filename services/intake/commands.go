package intake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/paycore/paycore/events"
)

// command is the one message a valid request becomes.
type command struct {
	topic         string
	key           string // partition key of topic, and the envelope's AggregateID
	id            string
	correlationID string
	payload       events.Payload
}

// buildFunc decodes and checks the body of one request type and builds its
// command. A rejection is the channel's fault; an error is an internal one.
type buildFunc func(h *Handler, req events.Request) (command, *rejection, error)

// bodies holds the builder of every request type the intake accepts.
var bodies = map[string]buildFunc{
	events.RequestSignAgreement:      (*Handler).signAgreement,
	events.RequestConfirmSigning:     (*Handler).confirmSigning,
	events.RequestTerminateAgreement: (*Handler).terminateAgreement,
	events.RequestPay:                (*Handler).routedPay,
	events.RequestLegacyRefund:       (*Handler).legacyRefund,
	events.RequestRefund:             (*Handler).refund,
}

// RequestTypes lists the request types the intake accepts, in the order
// a customer meets them.
func RequestTypes() []string {
	return []string{
		events.RequestSignAgreement,
		events.RequestConfirmSigning,
		events.RequestPay,
		events.RequestRefund,
		events.RequestTerminateAgreement,
		events.RequestLegacyRefund,
	}
}

// pay starts a payment saga. TxnID derives from the channel and the
// idempotency key, so every repeat of a payment reaches the same saga,
// which tells a replay from a reused key by the body hash.
func (h *Handler) pay(req events.Request) (command, *rejection, error) {
	var body events.PayBody
	if rej := decodeBody(req.Body, &body); rej != nil {
		return command{}, rej, nil
	}
	payerKey, rej := payerKeyOf(body.AgreementNo)
	if rej != nil {
		return command{}, rej, nil
	}
	if rej := positiveAmount(body.Amount); rej != nil {
		return command{}, rej, nil
	}
	hash, err := bodyHash(body)
	if err != nil {
		return command{}, nil, err
	}
	txnID := events.DeriveID("txn", req.ChannelID, req.IdempotencyKey)
	return command{
		topic:         h.cfg.Topics.SagaInbox,
		key:           txnID,
		id:            commandID(req, hash),
		correlationID: txnID,
		payload: events.StartPayment{
			TxnID:          txnID,
			ChannelID:      req.ChannelID,
			OrderID:        req.OrderID,
			IdempotencyKey: req.IdempotencyKey,
			BodyHash:       hash,
			AgreementNo:    body.AgreementNo,
			PayerKey:       payerKey,
			ReserveAccount: h.cfg.ReserveAccountFor(req.ChannelID),
			Amount:         body.Amount,
		},
	}, nil, nil
}

// signAgreement starts a signing saga. The payer key is derived here, once,
// so the account number is never needed to route anything later.
func (h *Handler) signAgreement(req events.Request) (command, *rejection, error) {
	var body events.SignAgreementBody
	if rej := decodeBody(req.Body, &body); rej != nil {
		return command{}, rej, nil
	}
	for _, rule := range []struct {
		grammar
		value string
	}{
		{payerAccountRule, body.PayerAccount},
		{holderNameRule, body.HolderName},
		{idNumberRule, body.IDNumber},
		{phoneRule, body.Phone},
	} {
		if rej := rule.check(rule.value); rej != nil {
			return command{}, rej, nil
		}
	}
	if rej := checkLimits(body.PerPaymentLimit, body.DailyLimit); rej != nil {
		return command{}, rej, nil
	}
	hash, err := bodyHash(body)
	if err != nil {
		return command{}, nil, err
	}
	signingID := events.DeriveID("signing", req.ChannelID, req.IdempotencyKey)
	return command{
		topic:         h.cfg.Topics.SagaInbox,
		key:           signingID,
		id:            commandID(req, hash),
		correlationID: signingID,
		payload: events.StartSigning{
			SigningID:       signingID,
			ChannelID:       req.ChannelID,
			OrderID:         req.OrderID,
			IdempotencyKey:  req.IdempotencyKey,
			BodyHash:        hash,
			PayerKey:        h.cfg.Deriver.Key(body.PayerAccount),
			PayerAccount:    body.PayerAccount,
			HolderName:      body.HolderName,
			IDNumber:        body.IDNumber,
			Phone:           body.Phone,
			PerPaymentLimit: body.PerPaymentLimit,
			DailyLimit:      body.DailyLimit,
		},
	}, nil, nil
}

// checkLimits enforces what an agreement's limits must satisfy before a
// bank sees them: both positive, and a single payment not above a day.
func checkLimits(perPayment, daily events.Money) *rejection {
	switch {
	case !perPayment.IsPositive():
		return reject(events.ReasonLimitsInvalid, "body.per_payment_limit", "must be greater than zero")
	case !daily.IsPositive():
		return reject(events.ReasonLimitsInvalid, "body.daily_limit", "must be greater than zero")
	case perPayment.Currency() != daily.Currency():
		// Only CNY exists today; checked so Cmp can never panic if that changes.
		return reject(events.ReasonLimitsInvalid, "body.daily_limit", "must be in the currency of per_payment_limit")
	case perPayment.Cmp(daily) > 0:
		return reject(events.ReasonLimitsInvalid, "body.per_payment_limit", "must not exceed daily_limit")
	}
	return nil
}

// confirmSigning forwards an SMS code to its signing saga. Whether the
// signing exists and waits for a code is the saga's to say; the intake only
// refuses a signing_id that no signing can have.
func (h *Handler) confirmSigning(req events.Request) (command, *rejection, error) {
	var body events.ConfirmSigningBody
	if rej := decodeBody(req.Body, &body); rej != nil {
		return command{}, rej, nil
	}
	if !validSigningID(body.SigningID) {
		return command{}, reject(events.ReasonSigningNotFound, "body.signing_id", "is not a signing_id issued by paycore"), nil
	}
	if rej := smsCodeRule.check(body.SMSCode); rej != nil {
		return command{}, rej, nil
	}
	hash, err := bodyHash(body)
	if err != nil {
		return command{}, nil, err
	}
	return command{
		topic:         h.cfg.Topics.SagaInbox,
		key:           body.SigningID,
		id:            commandID(req, hash),
		correlationID: body.SigningID,
		payload: events.SubmitSMSCode{
			SigningID:      body.SigningID,
			ChannelID:      req.ChannelID,
			OrderID:        req.OrderID,
			IdempotencyKey: req.IdempotencyKey,
			BodyHash:       hash,
			SMSCode:        body.SMSCode,
		},
	}, nil, nil
}

// terminateAgreement goes straight to the payer bank, which owns the
// agreement; the partition comes from the payer key inside the number.
func (h *Handler) terminateAgreement(req events.Request) (command, *rejection, error) {
	var body events.TerminateAgreementBody
	if rej := decodeBody(req.Body, &body); rej != nil {
		return command{}, rej, nil
	}
	payerKey, rej := payerKeyOf(body.AgreementNo)
	if rej != nil {
		return command{}, rej, nil
	}
	hash, err := bodyHash(body)
	if err != nil {
		return command{}, nil, err
	}
	requestID := events.DeriveID("terminate", req.ChannelID, req.IdempotencyKey)
	return command{
		topic:         h.cfg.Topics.PayerInbox,
		key:           payerKey,
		id:            commandID(req, hash),
		correlationID: requestID,
		payload: events.TerminateAgreement{
			RequestID:      requestID,
			AgreementNo:    body.AgreementNo,
			PayerKey:       payerKey,
			ChannelID:      req.ChannelID,
			OrderID:        req.OrderID,
			IdempotencyKey: req.IdempotencyKey,
			BodyHash:       hash,
		},
	}, nil, nil
}

func decodeBody(raw json.RawMessage, v any) *rejection {
	if err := events.DecodeStrict(raw, v); err != nil {
		return decodeRejection("body", err)
	}
	return nil
}

// bodyHash is the hex SHA-256 of the canonical encoding of a decoded body:
// members in struct order, no whitespace, amounts with two decimals. Two
// requests whose bodies differ only in layout, member order or "12.3" vs
// "12.30" hash alike; any difference in meaning does not.
func bodyHash(body any) (string, error) {
	canonical, err := json.Marshal(body)
	if err != nil {
		// Unreachable: decoded bodies hold strings and set Money only.
		return "", fmt.Errorf("intake: encoding %T for its hash: %w", body, err)
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:]), nil
}

// commandID derives the command's envelope ID from the request's identity
// and content. A request published again yields the same ID, so the owner
// deduplicates it; a reused idempotency key with another body or order ID
// yields another ID, so the owner sees the new command and can answer it
// with duplicate_key_different_body instead of dropping it as a repeat.
func commandID(req events.Request, bodyHash string) string {
	return events.DeriveID("intake", req.Type, req.ChannelID, req.IdempotencyKey, req.OrderID, bodyHash)
}
