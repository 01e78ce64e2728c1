package reservebank

import (
	"fmt"
	"strconv"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// shares spreads amount, recorded by ev under a reserve account, over the
// account's sub-accounts: one reserve.credit_sub_account per sub-account
// whose share is not zero. Share i is amount/N rounded down to the fen,
// plus one fen for the first amount mod N sub-accounts, so the shares add
// up to the amount exactly. Every ID derives from ev alone, so re-sending
// the shares of a redelivered command gives the identical records, and a
// sub-account recognises a share it has credited by its TransferID.
func (b *Bank) shares(ev events.Envelope, source, sourceID string, amount events.Money) []processor.Outbound {
	n := int64(b.cfg.SubAccounts)
	total := amount.MinorUnits()
	out := make([]processor.Outbound, 0, n)
	for i := range n {
		part := total / n
		if i < total%n {
			part++
		}
		if part == 0 {
			continue
		}
		key := events.SubAccountKey(ev.AggregateID, int(i))
		id := events.DeriveID(ev.ID, "share", strconv.FormatInt(i, 10))
		p := events.CreditSubAccount{
			TransferID: id, ReserveAccount: ev.AggregateID, SubAccount: key,
			Source: source, SourceID: sourceID, Amount: fen(part),
		}
		out = append(out, b.internal(key, id, ev, p))
	}
	return out
}

// internal addresses p to aggregate key on the bank's own inbox, with
// envelope ID id, caused by the bank's event ev.
func (b *Bank) internal(key, id string, ev events.Envelope, p events.Payload) processor.Outbound {
	env, err := b.reg.New(key, 1, p, events.Meta{
		ID:            id,
		CorrelationID: ev.CorrelationID,
		CausationID:   ev.ID,
		OccurredAt:    ev.OccurredAt,
	})
	if err != nil {
		// Every field comes from a validated command or a folded event.
		panic("reservebank: building " + p.EventType() + ": " + err.Error())
	}
	return processor.EnvelopeTo(b.cfg.Topics.ReserveInbox, env)
}

// fen returns n fen (0 ≤ n ≤ the fen of events.MaxAmount) as CNY.
func fen(n int64) events.Money {
	m, err := events.ParseMoney(fmt.Sprintf("%d.%02d", n/100, n%100), events.CurrencyCNY.String())
	if err != nil {
		panic("reservebank: " + err.Error())
	}
	return m
}

// creditSubAccount handles reserve.credit_sub_account: a share of a
// funding or a posting is credited once (reserve.sub_account_credited);
// the same TransferID again changes nothing. Held debits are not decided
// here but when their borrow round returns, so that they keep their order.
func (b *Bank) creditSubAccount(msg processor.Message, cmd events.CreditSubAccount) (processor.Output, error) {
	if err := b.checkSub(cmd.SubAccount, cmd.ReserveAccount); err != nil {
		return processor.Output{}, err
	}
	switch {
	case cmd.TransferID == "":
		return processor.Output{}, fmt.Errorf("reservebank: share for %s without a transfer ID", cmd.SubAccount)
	case cmd.Source != events.SubCreditFunding && cmd.Source != events.SubCreditSummary:
		return processor.Output{}, fmt.Errorf("reservebank: share %s from unknown source %q", cmd.TransferID, cmd.Source)
	case !cmd.Amount.IsPositive():
		return processor.Output{}, fmt.Errorf("reservebank: share %s of %s is not positive", cmd.TransferID, cmd.Amount)
	}
	s := b.sub(cmd.SubAccount)
	if s.credited[cmd.TransferID] {
		return processor.Output{}, nil
	}
	c := b.call(msg, s)
	after, err := c.balance.Add(cmd.Amount)
	if err != nil {
		return processor.Output{}, fmt.Errorf("reservebank: share %s to %s: %w", cmd.TransferID, cmd.SubAccount, err)
	}
	if _, err := c.record(events.SubAccountCredited{
		TransferID: cmd.TransferID, ReserveAccount: cmd.ReserveAccount, SubAccount: cmd.SubAccount,
		Source: cmd.Source, SourceID: cmd.SourceID, Amount: cmd.Amount, BalanceAfter: after,
	}, cmd.TransferID); err != nil {
		return processor.Output{}, err
	}
	return c.out, nil
}
