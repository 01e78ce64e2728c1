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
// Version 2 added the summarized postings; version 3 the fundings, the
// sub-accounts and the event of each posting. Older snapshots are still
// read, as a state without what their builds could not write.
const (
	snapshotVersion = 3
	snapshotService = "reservebank"
)

// snapshotV3 is the saved state of one partition: every decision, sorted
// by transaction ID; every reserve account's summarized postings, sorted
// by account and then by sequence, and fundings, sorted by account and
// funding ID; every sub-account, sorted by key (see subSnap). The same
// state always encodes to the same bytes. Configuration (the closed
// reserve accounts, the sub-account count) is not state and is not saved.
type snapshotV3 struct {
	Version     int            `json:"version"`
	Service     string         `json:"service"`
	Decisions   []decisionSnap `json:"decisions"`
	Summaries   []summarySnap  `json:"summaries,omitempty"`    // absent in version 1
	Fundings    []fundingSnap  `json:"fundings,omitempty"`     // version 3
	SubAccounts []subSnap      `json:"sub_accounts,omitempty"` // version 3
}

// fundingSnap is one funding of a reserve account; Event is the
// reserve.reserve_funded that recorded it, which its shares derive from.
type fundingSnap struct {
	ReserveAccount string          `json:"reserve_account"`
	FundingID      string          `json:"funding_id"`
	Seq            uint64          `json:"seq"`
	Amount         events.Money    `json:"amount"`
	Event          json.RawMessage `json:"event"`
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
	// Event is the reserve.summary_posted, which the shares derive from;
	// absent for postings of version 2 snapshots (never spread).
	Event json.RawMessage `json:"event,omitempty"`
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
	s := snapshotV3{Version: snapshotVersion, Service: snapshotService, Decisions: make([]decisionSnap, 0, len(ids))}
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
	var err error
	if s.Summaries, s.Fundings, err = snapLedgers(b.accounts); err != nil {
		return nil, err
	}
	if s.SubAccounts, err = snapSubAccounts(b.subs); err != nil {
		return nil, err
	}
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
	if len(b.decisions) != 0 || len(b.accounts) != 0 || len(b.subs) != 0 {
		return errors.New("reservebank: restore into a bank that already has state")
	}
	var head struct {
		Version int    `json:"version"`
		Service string `json:"service"`
	}
	if err := json.Unmarshal(snapshot, &head); err != nil {
		return fmt.Errorf("reservebank: malformed snapshot: %w", err)
	}
	if head.Version < 1 || head.Version > snapshotVersion {
		return fmt.Errorf("reservebank: unknown snapshot version %d (this build reads version %d)", head.Version, snapshotVersion)
	}
	if head.Service != snapshotService {
		return fmt.Errorf("reservebank: snapshot is of service %q, not %q", head.Service, snapshotService)
	}
	var s snapshotV3
	if err := processor.DecodeSnapshot(snapshot, &s); err != nil {
		return fmt.Errorf("reservebank: malformed snapshot: %w", err)
	}
	if head.Version == 1 && s.Summaries != nil {
		return errors.New("reservebank: malformed snapshot: summaries in version 1")
	}
	if head.Version < 3 && (s.Fundings != nil || s.SubAccounts != nil || postingEvents(s.Summaries)) {
		return fmt.Errorf("reservebank: malformed snapshot: fundings, sub-accounts or posting events in version %d", head.Version)
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
	accounts, err := b.restoreLedgers(s.Summaries, s.Fundings)
	if err != nil {
		return fmt.Errorf("reservebank: invalid snapshot: %w", err)
	}
	subs, err := b.restoreSubAccounts(s.SubAccounts)
	if err != nil {
		return fmt.Errorf("reservebank: invalid snapshot: %w", err)
	}
	b.decisions, b.accounts, b.subs = decisions, accounts, subs
	return nil
}

func postingEvents(list []summarySnap) bool {
	for _, ss := range list {
		for _, p := range ss.Postings {
			if len(p.Event) != 0 {
				return true
			}
		}
	}
	return false
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
