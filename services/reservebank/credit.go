package reservebank

import (
	"fmt"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// credit handles reserve.credit_reserve. A transaction is decided once:
// the first credit that reaches the bank records reserve_credited or
// reserve_credit_refused; any later one (a redelivery, or a credit that
// arrives after a status query closed the transaction) gets the reply to
// that decision again, with the same IDs.
func (b *Bank) credit(msg processor.Message, cmd events.CreditReserve) (processor.Output, error) {
	if b.cfg.Link.Dropped(msg.Envelope.ID) {
		// Lost on the way: the bank never knew. The saga's deadline and
		// status query find out.
		return processor.Output{}, nil
	}
	if d, ok := b.decisions[cmd.TxnID]; ok {
		return processor.Output{Messages: b.reply(msg, d.event)}, nil
	}
	if !cmd.Amount.IsPositive() {
		// The saga only sends validated, positive amounts.
		return processor.Output{}, fmt.Errorf("reservebank: credit of %s for %s is not positive", cmd.Amount, cmd.TxnID)
	}
	var decided events.Payload = events.ReserveCredited{
		TxnID:          cmd.TxnID,
		ReserveAccount: cmd.ReserveAccount,
		ChannelID:      cmd.ChannelID,
		Amount:         cmd.Amount,
	}
	if b.closed[cmd.ReserveAccount] {
		decided = events.ReserveCreditRefused{TxnID: cmd.TxnID, ReasonCode: events.ReasonReserveAccountClosed}
	}
	ev, err := b.decide(msg, decided)
	if err != nil {
		return processor.Output{}, err
	}
	return processor.Output{Events: []events.Envelope{ev}, Payloads: []events.Payload{decided}, Messages: b.reply(msg, ev)}, nil
}

// decide builds the log event recording the bank's decision on the
// transaction of msg: the first and only event of that aggregate.
func (b *Bank) decide(msg processor.Message, p events.Payload) (events.Envelope, error) {
	ev, err := b.reg.New(msg.Envelope.AggregateID, 1, p, events.Meta{
		ID:            events.DeriveID(msg.Envelope.ID, p.EventType()),
		CorrelationID: msg.Envelope.CorrelationID,
		CausationID:   msg.Envelope.ID,
		OccurredAt:    msg.Time,
	})
	if err != nil {
		return events.Envelope{}, fmt.Errorf("reservebank: recording %s: %w", p.EventType(), err)
	}
	return ev, nil
}

// reply answers the command in msg with the decision recorded by ev, unless
// the link loses the reply. The reply is ev's payload in an envelope of its
// own (ID derived from ev's), so the saga's inbox never holds a record with
// the ID of a reserve log event. Built from ev alone, it is identical every
// time it is sent; only its delay depends on the command answered.
func (b *Bank) reply(msg processor.Message, ev events.Envelope) []processor.Outbound {
	if b.cfg.Link.ReplyLost(msg.Envelope.ID) {
		return nil
	}
	reply := ev
	reply.ID = events.DeriveID(ev.ID, "reply")
	reply.CausationID = ev.ID
	out := processor.EnvelopeTo(b.cfg.Topics.SagaInbox, reply)
	if latency := b.cfg.Link.Latency(msg.Envelope.ID); latency > 0 {
		out.NotBefore = msg.Time.Add(latency)
	}
	return []processor.Outbound{out}
}
