package reservebank

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// The borrow ring. A sub-account i whose held debits its balance does not
// cover starts a round: a BorrowFromSibling asking for the shortfall goes
// to sibling i+1 (mod N). Each sibling gives what it has free, at most
// what is still needed (reserve.sub_account_lent, its balance never below
// zero), and passes the round on to the next; once nothing is needed any
// more, or the next sibling is i, the round goes back to i, carrying the
// money. i credits it (reserve.borrow_returned) and decides its held
// debits (settle). The money of a round is in flight between the lent
// and the returned events; the audit counts it.

// startRound records reserve.borrow_started for the held debit debitID,
// at the head of the call's queue, asking for what the whole queue lacks,
// and sends the round to the first sibling.
func (c *call) startRound(debitID string, round int) error {
	need, err := c.shortfall()
	if err != nil {
		return err
	}
	p := events.BorrowStarted{
		BorrowID:       events.DeriveID(c.s.key, debitID, "round", strconv.Itoa(round)),
		ReserveAccount: c.s.account,
		SubAccount:     c.s.key,
		DebitID:        debitID,
		Round:          round,
		Need:           need,
	}
	ev, err := c.record(p, p.BorrowID)
	if err != nil {
		return err
	}
	r := &borrowRound{start: ev, id: p.BorrowID, debitID: debitID, round: round, need: need}
	c.out.Messages = append(c.out.Messages, c.b.firstHop(c.s, r))
	return nil
}

// shortfall is what the queued debits need beyond the balance; capped at
// events.MaxAmount, which no reserve account approaches.
func (c *call) shortfall() (events.Money, error) {
	sum := events.ZeroCNY()
	for _, id := range c.queue {
		next, err := sum.Add(c.queuedDebit(id).amount)
		if err != nil {
			return events.ParseMoney(events.MaxAmount, events.CurrencyCNY.String())
		}
		sum = next
	}
	need, err := sum.Sub(c.balance)
	if err != nil || !need.IsPositive() {
		return events.Money{}, fmt.Errorf("reservebank: round of %s started for %s held against a balance of %s", c.s.key, sum, c.balance)
	}
	return need, nil
}

// firstHop is round r of s on its way to the first sibling; built from
// the round alone, so a re-sent round is identical.
func (b *Bank) firstHop(s *subAccount, r *borrowRound) processor.Outbound {
	next := events.SubAccountKey(s.account, (s.index+1)%b.cfg.SubAccounts)
	return b.internal(next, events.DeriveID(r.start.ID, "hop"), r.start, events.BorrowFromSibling{
		BorrowID: r.id, ReserveAccount: s.account, SubAccount: next, Requester: s.key,
		SubAccounts: b.cfg.SubAccounts, Priority: r.debitID, Hop: 1,
		Need: r.need, Carried: events.ZeroCNY(),
	})
}

// passOn is the round after this sibling's part, recorded by lent (a
// reserve.sub_account_lent): to the next sibling, or back to the
// requester once nothing is needed or every sibling was asked.
func (b *Bank) passOn(s *subAccount, lent events.Envelope) (processor.Outbound, error) {
	p, err := b.reg.Decode(lent)
	if err != nil {
		return processor.Outbound{}, fmt.Errorf("reservebank: re-reading %s: %w", lent.ID, err)
	}
	e, ok := p.(events.SubAccountLent)
	if !ok {
		return processor.Outbound{}, fmt.Errorf("reservebank: %s is no %s", lent.ID, events.SubAccountLent{}.EventType())
	}
	next := events.SubAccountKey(s.account, (s.index+1)%b.cfg.SubAccounts)
	if e.Need.IsZero() {
		next = e.Requester
	}
	return b.internal(next, events.DeriveID(lent.ID, "hop"), lent, events.BorrowFromSibling{
		BorrowID: e.BorrowID, ReserveAccount: s.account, SubAccount: next, Requester: e.Requester,
		SubAccounts: b.cfg.SubAccounts, Priority: e.Priority, Hop: e.Hop + 1,
		Need: e.Need, Carried: e.Carried, Contended: e.Contended,
	}), nil
}

// borrow handles reserve.borrow_from_sibling: a sibling's part in a
// round, or the round's return to its requester.
//
// A sibling without a round of its own gives all it has, up to the need.
// One with a round of its own (its debits wait for money too) marks the
// round contended, and gives only to a round of lower priority (smaller
// debit ID), so that of two short sub-accounts one collects from the
// other instead of both coming back short. A round already handled is
// passed on again, identically.
func (b *Bank) borrow(msg processor.Message, cmd events.BorrowFromSibling) (processor.Output, error) {
	if err := b.checkSub(cmd.SubAccount, cmd.ReserveAccount); err != nil {
		return processor.Output{}, err
	}
	if err := b.checkSub(cmd.Requester, cmd.ReserveAccount); err != nil {
		return processor.Output{}, err
	}
	switch {
	case cmd.SubAccounts != b.cfg.SubAccounts:
		return processor.Output{}, fmt.Errorf("reservebank: round %s laid out over %d sub-accounts, this bank has %d (SubAccounts differ between instances)",
			cmd.BorrowID, cmd.SubAccounts, b.cfg.SubAccounts)
	case cmd.BorrowID == "" || cmd.Priority == "" || cmd.Hop < 1 || cmd.Hop > cmd.SubAccounts:
		return processor.Output{}, fmt.Errorf("reservebank: malformed round %q (priority %q, hop %d)", cmd.BorrowID, cmd.Priority, cmd.Hop)
	case cmd.Need.IsNegative() || cmd.Carried.IsNegative():
		return processor.Output{}, fmt.Errorf("reservebank: round %s needs %s, carries %s", cmd.BorrowID, cmd.Need, cmd.Carried)
	}
	s := b.sub(cmd.SubAccount)
	if cmd.Requester == cmd.SubAccount {
		return b.roundReturned(msg, s, cmd)
	}
	if lent, ok := s.lent[cmd.BorrowID]; ok {
		o, err := b.passOn(s, lent)
		if err != nil {
			return processor.Output{}, err
		}
		return processor.Output{Messages: []processor.Outbound{o}}, nil
	}
	c := b.call(msg, s)
	free, contended := c.balance, cmd.Contended
	if s.round != nil {
		contended = true
		if cmd.Priority >= s.round.debitID {
			free = events.ZeroCNY()
		}
	}
	give := free
	if give.Cmp(cmd.Need) > 0 {
		give = cmd.Need
	}
	after, err1 := c.balance.Sub(give)
	need, err2 := cmd.Need.Sub(give)
	carried, err3 := cmd.Carried.Add(give)
	if err1 != nil || err2 != nil || err3 != nil {
		return processor.Output{}, fmt.Errorf("reservebank: round %s at %s: giving %s from %s", cmd.BorrowID, cmd.SubAccount, give, c.balance)
	}
	lent, err := c.record(events.SubAccountLent{
		BorrowID: cmd.BorrowID, ReserveAccount: cmd.ReserveAccount, SubAccount: cmd.SubAccount,
		Requester: cmd.Requester, Priority: cmd.Priority, Hop: cmd.Hop, Amount: give, BalanceAfter: after,
		Need: need, Carried: carried, Contended: contended,
	}, cmd.BorrowID)
	if err != nil {
		return processor.Output{}, err
	}
	o, err := b.passOn(s, lent)
	if err != nil {
		return processor.Output{}, err
	}
	c.out.Messages = append(c.out.Messages, o)
	return c.out, nil
}

// roundReturned handles a round back at its requester: the carried money
// is credited (reserve.borrow_returned) and the held debits are settled.
// A return already handled re-sends what it caused: the replies to the
// debits it decided and the next round, if that is still out.
func (b *Bank) roundReturned(msg processor.Message, s *subAccount, cmd events.BorrowFromSibling) (processor.Output, error) {
	c := b.call(msg, s)
	if ret, ok := s.returned[cmd.BorrowID]; ok {
		c.resendCausedBy(ret.CausationID)
		return c.out, nil
	}
	if s.round == nil || s.round.id != cmd.BorrowID {
		return processor.Output{}, fmt.Errorf("reservebank: round %s returned to %s, which has no such round out", cmd.BorrowID, s.key)
	}
	after, err := c.balance.Add(cmd.Carried)
	if err != nil {
		return processor.Output{}, fmt.Errorf("reservebank: round %s returned to %s: %w", cmd.BorrowID, s.key, err)
	}
	contended := cmd.Contended || s.round.robbed
	if _, err := c.record(events.BorrowReturned{
		BorrowID: cmd.BorrowID, ReserveAccount: s.account, SubAccount: s.key,
		Amount: cmd.Carried, BalanceAfter: after, Contended: contended,
	}, cmd.BorrowID); err != nil {
		return processor.Output{}, err
	}
	c.balance = after
	if err := c.settle(s.round, contended); err != nil {
		return processor.Output{}, err
	}
	return c.out, nil
}

// resendCausedBy re-sends what the message causeID caused at the
// sub-account: the replies to the debits it decided, in the order they
// were decided, and the round it started if that is still out.
func (c *call) resendCausedBy(causeID string) {
	var decided []*subDebit
	for _, d := range c.s.debits {
		if d.decision.ID != "" && d.decision.CausationID == causeID {
			decided = append(decided, d)
		}
	}
	sort.Slice(decided, func(i, j int) bool { return decided[i].decision.Sequence < decided[j].decision.Sequence })
	for _, d := range decided {
		c.reply(d.txnID, d.decision, d.cause())
	}
	if r := c.s.round; r != nil && r.start.CausationID == causeID {
		c.out.Messages = append(c.out.Messages, c.b.firstHop(c.s, r))
	}
}
