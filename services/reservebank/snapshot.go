package reservebank

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

var _ processor.Snapshotter = (*Bank)(nil)

// snapshotVersion is the version of the snapshot format below. A change
// of the format that an older Restore could misread takes a new version.
// Version 2 added the summarized postings; version 1 snapshots are still
// read, as a state without any (no build that wrote them could post one).
const (
	snapshotVersion = 2
	snapshotService = "reservebank"
)

// snapshotV2 is the saved state of one partition: every decision, sorted
// by transaction ID, and every reserve account's summarized postings,
// sorted by account and then by sequence, so the same state always
// encodes to the same bytes. Configuration (the closed reserve accounts)
// is not state and is not saved.
type snapshotV2 struct {
	Version   int            `json:"version"`
	Service   string         `json:"service"`
	Decisions []decisionSnap `json:"decisions"`
	Summaries []summarySnap  `json:"summaries,omitempty"` // absent in version 1
}

// summarySnap is a reserve account's summarized postings; the balance is
// their sum and the sequence their count, both checked on Restore.
type summarySnap struct {
	ReserveAccount string        `json:"reserve_account"`
	Balance        events.Money  `json:"balance"`
	Postings       []postingSnap `json:"postings"`
}

type postingSnap struct {
	BatchID string       `json:"batch_id"`
	Seq     uint64       `json:"seq"`
	Amount  events.Money `json:"amount"`
	Credits int          `json:"credits"`
}

// decisionSnap is one decision. Event is the events.Marshal encoding of
// the log event that recorded it, which every reply is built from, so a
// re-sent reply is byte for byte the original.
type decisionSnap struct {
	TxnID          string          `json:"txn_id"`
	Credited       bool            `json:"credited"`
	ReserveAccount string          `json:"reserve_account,omitempty"` // credited only
	Amount         *events.Money   `json:"amount,omitempty"`          // credited only
	ReasonCode     string          `json:"reason_code,omitempty"`     // refused only
	Event          json.RawMessage `json:"event"`
}

// Snapshot encodes the partition's decisions; see processor.Snapshotter.
func (b *Bank) Snapshot() ([]byte, error) {
	ids := make([]string, 0, len(b.decisions))
	for id := range b.decisions {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	s := snapshotV2{Version: snapshotVersion, Service: snapshotService, Decisions: make([]decisionSnap, 0, len(ids))}
	for _, id := range ids {
		d := b.decisions[id]
		ev, err := events.Marshal(d.event)
		if err != nil {
			return nil, fmt.Errorf("reservebank: snapshot of %s: %w", id, err)
		}
		ds := decisionSnap{TxnID: id, Credited: d.credited, ReasonCode: d.reasonCode, Event: ev}
		if d.credited {
			amount := d.amount
			ds.ReserveAccount, ds.Amount = d.reserveAccount, &amount
		}
		s.Decisions = append(s.Decisions, ds)
	}
	s.Summaries = snapSummaries(b.summaries)
	out, err := processor.EncodeSnapshot(s)
	if err != nil {
		return nil, fmt.Errorf("reservebank: encoding snapshot: %w", err)
	}
	return out, nil
}

// Restore replaces the decisions and summaries of a fresh Bank (nothing
// applied or restored yet) with snapshot; see processor.Snapshotter. It
// fails, and leaves the Bank unchanged, for a Bank that already has state,
// an unknown version, malformed input, a decision that contradicts the
// event recording it, or postings that do not add up to their balance.
func (b *Bank) Restore(snapshot []byte) error {
	if len(b.decisions) != 0 || len(b.summaries) != 0 {
		return errors.New("reservebank: restore into a bank that already has state")
	}
	var head struct {
		Version int    `json:"version"`
		Service string `json:"service"`
	}
	if err := json.Unmarshal(snapshot, &head); err != nil {
		return fmt.Errorf("reservebank: malformed snapshot: %w", err)
	}
	if head.Version != snapshotVersion && head.Version != 1 {
		return fmt.Errorf("reservebank: unknown snapshot version %d (this build reads version %d)", head.Version, snapshotVersion)
	}
	if head.Service != snapshotService {
		return fmt.Errorf("reservebank: snapshot is of service %q, not %q", head.Service, snapshotService)
	}
	var s snapshotV2
	if err := processor.DecodeSnapshot(snapshot, &s); err != nil {
		return fmt.Errorf("reservebank: malformed snapshot: %w", err)
	}
	if head.Version == 1 && s.Summaries != nil {
		return errors.New("reservebank: malformed snapshot: summaries in version 1")
	}
	decisions := make(map[string]decision, len(s.Decisions))
	for _, ds := range s.Decisions {
		if _, dup := decisions[ds.TxnID]; dup {
			return fmt.Errorf("reservebank: invalid snapshot: transaction %s appears twice", ds.TxnID)
		}
		d, err := b.decisionFrom(ds)
		if err != nil {
			return fmt.Errorf("reservebank: invalid snapshot: transaction %q: %w", ds.TxnID, err)
		}
		decisions[ds.TxnID] = d
	}
	summaries, err := restoreSummaries(s.Summaries)
	if err != nil {
		return fmt.Errorf("reservebank: invalid snapshot: %w", err)
	}
	b.decisions, b.summaries = decisions, summaries
	return nil
}

func snapSummaries(summaries map[string]*summary) []summarySnap {
	accounts := make([]string, 0, len(summaries))
	for account := range summaries {
		accounts = append(accounts, account)
	}
	sort.Strings(accounts)
	out := make([]summarySnap, 0, len(accounts))
	for _, account := range accounts {
		s := summaries[account]
		ss := summarySnap{ReserveAccount: account, Balance: s.balance, Postings: make([]postingSnap, 0, len(s.postings))}
		for batch, p := range s.postings {
			ss.Postings = append(ss.Postings, postingSnap{BatchID: batch, Seq: p.seq, Amount: p.amount, Credits: p.credits})
		}
		sort.Slice(ss.Postings, func(i, j int) bool { return ss.Postings[i].Seq < ss.Postings[j].Seq })
		out = append(out, ss)
	}
	if len(out) == 0 {
		return nil // omitted, as in version 1
	}
	return out
}

// restoreSummaries rebuilds the summarized postings and checks they are
// what applySummary would have built: postings at sequences 1, 2, ... in
// order, one per batch, none negative, adding up to the balance.
func restoreSummaries(list []summarySnap) (map[string]*summary, error) {
	summaries := make(map[string]*summary, len(list))
	for _, ss := range list {
		if ss.ReserveAccount == "" {
			return nil, errors.New("summary without a reserve account")
		}
		if _, dup := summaries[ss.ReserveAccount]; dup {
			return nil, fmt.Errorf("summary of %s appears twice", ss.ReserveAccount)
		}
		if len(ss.Postings) == 0 {
			return nil, fmt.Errorf("summary of %s without postings", ss.ReserveAccount)
		}
		s := &summary{balance: events.ZeroCNY(), postings: make(map[string]posting, len(ss.Postings))}
		for i, p := range ss.Postings {
			if _, dup := s.postings[p.BatchID]; dup || p.BatchID == "" {
				return nil, fmt.Errorf("summary of %s: batch %q empty or posted twice", ss.ReserveAccount, p.BatchID)
			}
			if p.Seq != uint64(i)+1 || p.Amount.IsNegative() || p.Credits < 0 {
				return nil, fmt.Errorf("summary of %s: posting %d of batch %s at sequence %d, %s over %d credits",
					ss.ReserveAccount, i+1, p.BatchID, p.Seq, p.Amount, p.Credits)
			}
			balance, err := s.balance.Add(p.Amount)
			if err != nil {
				return nil, fmt.Errorf("summary of %s: %w", ss.ReserveAccount, err)
			}
			s.balance, s.seq = balance, p.Seq
			s.postings[p.BatchID] = posting{seq: p.Seq, amount: p.Amount, credits: p.Credits}
		}
		if !s.balance.Equal(ss.Balance) {
			return nil, fmt.Errorf("summary of %s: postings add up to %s, balance %s", ss.ReserveAccount, s.balance, ss.Balance)
		}
		summaries[ss.ReserveAccount] = s
	}
	return summaries, nil
}

// decisionFrom rebuilds one decision and checks it is what Apply would
// have built from its event.
func (b *Bank) decisionFrom(ds decisionSnap) (decision, error) {
	if ds.TxnID == "" {
		return decision{}, errors.New("no transaction ID")
	}
	if len(ds.Event) == 0 || string(ds.Event) == "null" {
		return decision{}, errors.New("no event")
	}
	env, err := events.Unmarshal(ds.Event)
	if err != nil {
		return decision{}, fmt.Errorf("event: %w", err)
	}
	p, err := b.reg.Decode(env)
	if err != nil {
		return decision{}, fmt.Errorf("event: %w", err)
	}
	if env.AggregateID != ds.TxnID {
		return decision{}, fmt.Errorf("event filed under aggregate %q", env.AggregateID)
	}
	d := decision{event: env, credited: ds.Credited, reserveAccount: ds.ReserveAccount, reasonCode: ds.ReasonCode}
	switch p := p.(type) {
	case events.ReserveCredited:
		if !ds.Credited || ds.Amount == nil || ds.ReasonCode != "" {
			return decision{}, errors.New("credited by its event, not by the snapshot")
		}
		if p.TxnID != ds.TxnID || p.ReserveAccount != ds.ReserveAccount || !p.Amount.Equal(*ds.Amount) {
			return decision{}, errors.New("credit differs from its event")
		}
		d.amount = *ds.Amount
	case events.ReserveCreditRefused:
		if ds.Credited || ds.Amount != nil || ds.ReserveAccount != "" {
			return decision{}, errors.New("refused by its event, not by the snapshot")
		}
		if p.TxnID != ds.TxnID || p.ReasonCode != ds.ReasonCode {
			return decision{}, errors.New("refusal differs from its event")
		}
	default:
		return decision{}, fmt.Errorf("unexpected event %s", env.Type)
	}
	return d, nil
}
