package payerbank

import (
	"errors"
	"fmt"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// Handler is the payer bank of one partition. Like every processor.Handler
// it is used from one goroutine only.
type Handler struct {
	cfg Config
	reg *events.Registry
	st  *state
}

var _ processor.Handler = (*Handler)(nil)

// New returns an empty Handler, ready to be rebuilt with Apply. reg must
// hold the payer-bank types (events.Catalog does). It fails when cfg does
// not validate after defaults are applied.
func New(cfg Config, reg *events.Registry) (*Handler, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if reg == nil {
		return nil, errors.New("payerbank: nil registry")
	}
	return &Handler{cfg: cfg, reg: reg, st: newState()}, nil
}

// NewFactory validates cfg once and returns the factory the processor
// runtime calls per assigned partition.
func NewFactory(cfg Config, reg *events.Registry) (processor.Factory, error) {
	if _, err := New(cfg, reg); err != nil {
		return nil, err
	}
	return func(int) processor.Handler {
		h, err := New(cfg, reg)
		if err != nil {
			panic(err) // validated above; cfg is a copy and cannot change
		}
		return h
	}, nil
}

// Handle decides on one payer.inbox command; see the package doc for the
// check order and the reply rules. It fails (poison) for a payload that is
// not a payer-bank command, for a command whose payer key differs from the
// key it was routed by (its effects would land in the wrong partition), and
// for an OpenAccount that contradicts the account already open.
func (h *Handler) Handle(msg processor.Message) (processor.Output, error) {
	key, ok := payerKeyOf(msg.Payload)
	if !ok {
		return processor.Output{}, fmt.Errorf("payerbank: %q is not a payer-bank command", msg.Envelope.Type)
	}
	if key != msg.Envelope.AggregateID {
		return processor.Output{}, fmt.Errorf("payerbank: %s routed by key %q names payer key %q", msg.Envelope.Type, msg.Envelope.AggregateID, key)
	}
	d := h.decide(msg)
	var err error
	switch c := msg.Payload.(type) {
	case events.OpenAccount:
		err = d.openAccount(c)
	case events.VerifySigning:
		err = d.verifySigning(c)
	case events.ConfirmAgreement:
		err = d.confirmAgreement(c)
	case events.TerminateAgreement:
		err = d.terminateAgreement(c)
	case events.DebitPayer:
		err = d.debitPayer(c)
	case events.QueryDebit:
		err = d.queryDebit(c)
	case events.ReverseDebit:
		err = d.reverseDebit(c)
	case events.CreditPayer:
		err = d.creditPayer(c)
	case events.QueryPayerCredit:
		err = d.queryCredit(c)
	case events.ImportAgreement:
		err = d.importAgreement(c)
	case events.DirectDebit, events.QueryDirectDebit, events.DirectRefundCredit, events.QueryDirectRefundCredit:
		err = d.direct(c)
	}
	if err != nil {
		return processor.Output{}, err
	}
	return d.out, nil
}

// payerKeyOf returns the payer key a command names, and false for anything
// that is not a payer-bank command.
func payerKeyOf(p events.Payload) (string, bool) {
	switch c := p.(type) {
	case events.OpenAccount:
		return c.PayerKey, true
	case events.VerifySigning:
		return c.PayerKey, true
	case events.ConfirmAgreement:
		return c.PayerKey, true
	case events.TerminateAgreement:
		return c.PayerKey, true
	case events.DebitPayer:
		return c.PayerKey, true
	case events.QueryDebit:
		return c.PayerKey, true
	case events.ReverseDebit:
		return c.PayerKey, true
	case events.DirectDebit, events.QueryDirectDebit, events.DirectRefundCredit, events.QueryDirectRefundCredit:
		return directPayerKey(c), true
	case events.CreditPayer:
		return c.PayerKey, true
	case events.QueryPayerCredit:
		return c.PayerKey, true
	case events.ImportAgreement:
		return c.PayerKey, true
	}
	return "", false
}

// Due returns nothing: the bank keeps no deadlines. An SMS code's expiry is
// checked when the code arrives, and the sagas time out on their own.
func (h *Handler) Due(time.Time) []processor.Outbound { return nil }
