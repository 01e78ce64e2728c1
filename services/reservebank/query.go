package reservebank

import (
	"fmt"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// query handles reserve.query_credit (交易查询), answering
// reserve.credit_status_reported: done, refused (with the reason) or, when
// the link fault strikes, unknown.
//
// A query about a transaction the bank never received first records a
// refusal with not_received_by_bank. That closes the transaction: if the
// credit ever arrives, it is answered with the refusal instead of being
// executed after the switch concluded it failed.
//
// An unknown answer changes nothing: the bank could not say, so it must
// not close the transaction either.
func (b *Bank) query(msg processor.Message, cmd events.QueryCredit) (processor.Output, error) {
	if b.cfg.Link.QueryUnknown(msg.Envelope.ID) {
		return b.report(msg, cmd, events.LegUnknown, "", nil)
	}
	d, ok := b.decisions[cmd.TxnID]
	if ok {
		return b.report(msg, cmd, status(d), d.reasonCode, nil)
	}
	ev, err := b.decide(msg, events.ReserveCreditRefused{TxnID: cmd.TxnID, ReasonCode: events.ReasonNotReceivedByBank})
	if err != nil {
		return processor.Output{}, err
	}
	return b.report(msg, cmd, events.LegRefused, events.ReasonNotReceivedByBank, []events.Envelope{ev})
}

func status(d decision) string {
	if d.credited {
		return events.LegDone
	}
	return events.LegRefused
}

// report answers a query. The report is a reply only, not a change of the
// bank's state, so it is not in the log; its ID derives from the query's,
// so a redelivered query gets the identical report.
func (b *Bank) report(msg processor.Message, cmd events.QueryCredit, status, reasonCode string, recorded []events.Envelope) (processor.Output, error) {
	p := events.CreditStatusReported{TxnID: cmd.TxnID, Attempt: cmd.Attempt, Status: status, ReasonCode: reasonCode}
	env, err := b.reg.New(cmd.TxnID, 1, p, events.Meta{
		ID:            events.DeriveID(msg.Envelope.ID, p.EventType()),
		CorrelationID: msg.Envelope.CorrelationID,
		CausationID:   msg.Envelope.ID,
		OccurredAt:    msg.Time,
	})
	if err != nil {
		return processor.Output{}, fmt.Errorf("reservebank: reporting on %s: %w", cmd.TxnID, err)
	}
	return processor.Output{
		Events:   recorded,
		Messages: []processor.Outbound{processor.EnvelopeTo(b.cfg.Topics.SagaInbox, env)},
	}, nil
}
