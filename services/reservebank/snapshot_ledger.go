package reservebank

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/paycore/paycore/events"
)

// snapLedgers saves the reserve accounts' ledgers: the summarized postings
// per account (an account with fundings only has no summary entry) and
// the fundings. Both are nil when empty, so a state without any encodes
// as version 1 did.
func snapLedgers(accounts map[string]*ledger) ([]summarySnap, []fundingSnap, error) {
	names := make([]string, 0, len(accounts))
	for account := range accounts {
		names = append(names, account)
	}
	sort.Strings(names)
	var summaries []summarySnap
	var fundings []fundingSnap
	for _, account := range names {
		l := accounts[account]
		if len(l.postings) > 0 {
			ss := summarySnap{ReserveAccount: account, Balance: l.balance, Postings: make([]postingSnap, 0, len(l.postings))}
			for batch, p := range l.postings {
				ps := postingSnap{BatchID: batch, Seq: p.seq, Amount: p.amount, Credits: p.credits}
				if p.event.ID != "" {
					ev, err := events.Marshal(p.event)
					if err != nil {
						return nil, nil, fmt.Errorf("reservebank: snapshot of %s batch %s: %w", account, batch, err)
					}
					ps.Event = ev
				}
				ss.Postings = append(ss.Postings, ps)
			}
			sort.Slice(ss.Postings, func(i, j int) bool { return ss.Postings[i].Seq < ss.Postings[j].Seq })
			summaries = append(summaries, ss)
		}
		ids := make([]string, 0, len(l.fundings))
		for id := range l.fundings {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			f := l.fundings[id]
			ev, err := events.Marshal(f.event)
			if err != nil {
				return nil, nil, fmt.Errorf("reservebank: snapshot of %s funding %s: %w", account, id, err)
			}
			fundings = append(fundings, fundingSnap{ReserveAccount: account, FundingID: id, Seq: f.seq, Amount: f.amount, Event: ev})
		}
	}
	return summaries, fundings, nil
}

// restoreLedgers rebuilds the ledgers and checks they are what Apply
// would have built: per account, postings in sequence order, one per
// batch, none negative, adding up to the balance; fundings positive, one
// per ID; every event the one recording its entry; and the postings and
// fundings of an account together at sequences 1, 2, ... without a gap.
func (b *Bank) restoreLedgers(summaries []summarySnap, fundingList []fundingSnap) (map[string]*ledger, error) {
	accounts := map[string]*ledger{}
	seqs := map[string][]uint64{}
	for _, ss := range summaries {
		if ss.ReserveAccount == "" {
			return nil, errors.New("summary without a reserve account")
		}
		if _, dup := accounts[ss.ReserveAccount]; dup {
			return nil, fmt.Errorf("summary of %s appears twice", ss.ReserveAccount)
		}
		if len(ss.Postings) == 0 {
			return nil, fmt.Errorf("summary of %s without postings", ss.ReserveAccount)
		}
		for i := 1; i < len(ss.Postings); i++ {
			if ss.Postings[i].Seq <= ss.Postings[i-1].Seq {
				return nil, fmt.Errorf("summary of %s: posting %d at sequence %d after %d", ss.ReserveAccount, i+1, ss.Postings[i].Seq, ss.Postings[i-1].Seq)
			}
		}
		l := newLedger()
		var prev uint64
		for i, p := range ss.Postings {
			if _, dup := l.postings[p.BatchID]; dup || p.BatchID == "" {
				return nil, fmt.Errorf("summary of %s: batch %q empty or posted twice", ss.ReserveAccount, p.BatchID)
			}
			if p.Seq <= prev || p.Amount.IsNegative() || p.Credits < 0 {
				return nil, fmt.Errorf("summary of %s: posting %d of batch %s at sequence %d, %s over %d credits",
					ss.ReserveAccount, i+1, p.BatchID, p.Seq, p.Amount, p.Credits)
			}
			prev = p.Seq
			balance, err := l.balance.Add(p.Amount)
			if err != nil {
				return nil, fmt.Errorf("summary of %s: %w", ss.ReserveAccount, err)
			}
			var ev events.Envelope
			if len(p.Event) != 0 {
				env, pl, err := b.decodeEvent(p.Event, ss.ReserveAccount, p.Seq)
				if err != nil {
					return nil, fmt.Errorf("summary of %s batch %s: %w", ss.ReserveAccount, p.BatchID, err)
				}
				e, ok := pl.(events.ReserveSummaryPosted)
				if !ok || e.ReserveAccount != ss.ReserveAccount || e.BatchID != p.BatchID || !e.Amount.Equal(p.Amount) ||
					e.Credits != p.Credits || !e.BalanceAfter.Equal(balance) {
					return nil, fmt.Errorf("summary of %s batch %s differs from its event", ss.ReserveAccount, p.BatchID)
				}
				ev = env
			}
			l.balance = balance
			l.postings[p.BatchID] = posting{seq: p.Seq, amount: p.Amount, credits: p.Credits, event: ev}
			seqs[ss.ReserveAccount] = append(seqs[ss.ReserveAccount], p.Seq)
		}
		if !l.balance.Equal(ss.Balance) {
			return nil, fmt.Errorf("summary of %s: postings add up to %s, balance %s", ss.ReserveAccount, l.balance, ss.Balance)
		}
		accounts[ss.ReserveAccount] = l
	}
	for _, fs := range fundingList {
		what := fmt.Sprintf("funding %q of %q", fs.FundingID, fs.ReserveAccount)
		if fs.ReserveAccount == "" || fs.FundingID == "" || !fs.Amount.IsPositive() {
			return nil, fmt.Errorf("%s: account, ID or positive amount missing", what)
		}
		l := accounts[fs.ReserveAccount]
		if l == nil {
			l = newLedger()
			accounts[fs.ReserveAccount] = l
		}
		if _, dup := l.fundings[fs.FundingID]; dup {
			return nil, fmt.Errorf("%s appears twice", what)
		}
		env, pl, err := b.decodeEvent(fs.Event, fs.ReserveAccount, fs.Seq)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if e, ok := pl.(events.ReserveFunded); !ok || e.ReserveAccount != fs.ReserveAccount || e.FundingID != fs.FundingID || !e.Amount.Equal(fs.Amount) {
			return nil, fmt.Errorf("%s differs from its event", what)
		}
		l.fundings[fs.FundingID] = funding{seq: fs.Seq, amount: fs.Amount, event: env}
		seqs[fs.ReserveAccount] = append(seqs[fs.ReserveAccount], fs.Seq)
	}
	for account, list := range seqs {
		sort.Slice(list, func(i, j int) bool { return list[i] < list[j] })
		for i, seq := range list {
			if seq != uint64(i)+1 {
				return nil, fmt.Errorf("ledger of %s: entry %d at sequence %d", account, i+1, seq)
			}
		}
		accounts[account].seq = uint64(len(list))
	}
	return accounts, nil
}

// decodeEvent decodes a stored event, which must be filed under aggregate,
// at sequence seq unless seq is 0 (the caller checks it then).
func (b *Bank) decodeEvent(raw json.RawMessage, aggregate string, seq uint64) (events.Envelope, events.Payload, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return events.Envelope{}, nil, errors.New("no event")
	}
	env, err := events.Unmarshal(raw)
	if err != nil {
		return events.Envelope{}, nil, fmt.Errorf("event: %w", err)
	}
	p, err := b.reg.Decode(env)
	if err != nil {
		return events.Envelope{}, nil, fmt.Errorf("event: %w", err)
	}
	if env.AggregateID != aggregate {
		return events.Envelope{}, nil, fmt.Errorf("event %s filed under aggregate %q", env.ID, env.AggregateID)
	}
	if seq != 0 && env.Sequence != seq {
		return events.Envelope{}, nil, fmt.Errorf("event %s at sequence %d, not %d", env.ID, env.Sequence, seq)
	}
	return env, p, nil
}
