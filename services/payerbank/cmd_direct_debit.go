package payerbank

import (
	"errors"
	"fmt"

	"github.com/paycore/paycore/events"
)

// errNoDirectInbox refuses direct-link commands on a bank configured
// without the direct path: its answers would have nowhere to go.
var errNoDirectInbox = errors.New("payerbank: direct-link commands need Topics.DirectInbox")

// direct dispatches the direct link's commands.
func (d *decision) direct(p events.Payload) error {
	if d.h.cfg.Topics.DirectInbox == "" {
		return errNoDirectInbox
	}
	switch c := p.(type) {
	case events.DirectDebit:
		return d.directDebit(c)
	case events.QueryDirectDebit:
		return d.queryDirectDebit(c)
	case events.DirectRefundCredit:
		return d.directRefundCredit(c)
	case events.QueryDirectRefundCredit:
		return d.queryDirectRefundCredit(c)
	}
	return fmt.Errorf("payerbank: %T is not a direct-link command", p)
}

// directPayerKey returns the payer key of a direct-link command.
func directPayerKey(p events.Payload) string {
	switch c := p.(type) {
	case events.DirectDebit:
		return c.PayerKey
	case events.QueryDirectDebit:
		return c.PayerKey
	case events.DirectRefundCredit:
		return c.PayerKey
	case events.QueryDirectRefundCredit:
		return c.PayerKey
	}
	return ""
}

// directDebit handles payer.direct_debit: the same checks, in the same
// order, as a NetsUnion debit (agreement_not_found, agreement_other_channel,
// agreement_terminated, over_per_payment_limit, over_daily_limit,
// insufficient_funds). An agreement imported from the direct era is an
// agreement like any other here. Link faults apply as on NetsUnion: a
// dropped request leaves no trace, a lost reply is recovered by a status
// query. A transaction seen before gets its original reply.
func (d *decision) directDebit(c events.DirectDebit) error {
	if d.h.cfg.Link.Dropped(d.cmdID()) {
		return nil
	}
	if dd, ok := d.st.direct.debit(c.TxnID); ok {
		d.forwardDirect(c.TxnID, dd.reply, lossy)
		return nil
	}
	agr := d.st.agreements[c.AgreementNo]
	acct := d.st.accounts[c.PayerKey]
	if agr != nil && agr.payerKey == c.PayerKey && acct == nil {
		return fmt.Errorf("payerbank: agreement %s has no account", c.AgreementNo)
	}
	day := beijingDay(d.msg.Time)
	var p events.Payload
	switch r := decideDebit(agr, acct, events.DebitPayer{
		TxnID: c.TxnID, AgreementNo: c.AgreementNo, PayerKey: c.PayerKey, ChannelID: c.ChannelID, Amount: c.Amount,
	}, day).(type) {
	case events.PayerDebited:
		p = events.DirectDebited{TxnID: c.TxnID, AgreementNo: c.AgreementNo, ChannelID: c.ChannelID, Amount: r.Amount, BalanceAfter: r.BalanceAfter, Day: day}
	case events.PayerDebitRefused:
		p = events.DirectDebitRefused{TxnID: c.TxnID, ReasonCode: r.ReasonCode}
	default:
		return fmt.Errorf("payerbank: debit decision %T", r)
	}
	ev, err := d.record(c.PayerKey, p)
	if err != nil {
		return err
	}
	d.forwardDirect(c.TxnID, ev, lossy)
	return nil
}

// queryDirectDebit handles payer.query_direct_debit with a
// payer.direct_debit_status_reported. An unknown answer (link fault)
// records nothing; a debit never seen is first closed as
// not_received_by_bank, so a late request cannot execute after the direct
// path concluded it failed.
func (d *decision) queryDirectDebit(c events.QueryDirectDebit) error {
	if d.h.cfg.Link.QueryUnknown(d.cmdID()) {
		return d.answerDirect(c.TxnID, events.DirectDebitStatusReported{TxnID: c.TxnID, Attempt: c.Attempt, Status: events.LegUnknown}, latencyOnly)
	}
	if dd, ok := d.st.direct.debit(c.TxnID); ok {
		return d.answerDirect(c.TxnID, events.DirectDebitStatusReported{
			TxnID: c.TxnID, Attempt: c.Attempt, Status: dd.status(), ReasonCode: dd.reasonCode,
		}, latencyOnly)
	}
	if _, err := d.record(c.PayerKey, events.DirectDebitRefused{TxnID: c.TxnID, ReasonCode: events.ReasonNotReceivedByBank}); err != nil {
		return err
	}
	return d.answerDirect(c.TxnID, events.DirectDebitStatusReported{
		TxnID: c.TxnID, Attempt: c.Attempt, Status: events.LegRefused, ReasonCode: events.ReasonNotReceivedByBank,
	}, latencyOnly)
}
