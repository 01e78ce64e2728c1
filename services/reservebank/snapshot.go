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
const (
	snapshotVersion = 1
	snapshotService = "reservebank"
)

// snapshotV1 is the saved state of one partition: every decision, sorted
// by transaction ID so the same state always encodes to the same bytes.
// Configuration (the closed reserve accounts) is not state and is not
// saved.
type snapshotV1 struct {
	Version   int            `json:"version"`
	Service   string         `json:"service"`
	Decisions []decisionSnap `json:"decisions"`
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
	s := snapshotV1{Version: snapshotVersion, Service: snapshotService, Decisions: make([]decisionSnap, 0, len(ids))}
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
	out, err := processor.EncodeSnapshot(s)
	if err != nil {
		return nil, fmt.Errorf("reservebank: encoding snapshot: %w", err)
	}
	return out, nil
}

// Restore replaces the decisions of a fresh Bank (nothing applied or
// restored yet) with snapshot; see processor.Snapshotter. It fails, and
// leaves the Bank unchanged, for a Bank that already has decisions, an
// unknown version, malformed input, or a decision that contradicts the
// event recording it.
func (b *Bank) Restore(snapshot []byte) error {
	if len(b.decisions) != 0 {
		return errors.New("reservebank: restore into a bank that already has state")
	}
	var head struct {
		Version int    `json:"version"`
		Service string `json:"service"`
	}
	if err := json.Unmarshal(snapshot, &head); err != nil {
		return fmt.Errorf("reservebank: malformed snapshot: %w", err)
	}
	if head.Version != snapshotVersion {
		return fmt.Errorf("reservebank: unknown snapshot version %d (this build reads version %d)", head.Version, snapshotVersion)
	}
	if head.Service != snapshotService {
		return fmt.Errorf("reservebank: snapshot is of service %q, not %q", head.Service, snapshotService)
	}
	var s snapshotV1
	if err := processor.DecodeSnapshot(snapshot, &s); err != nil {
		return fmt.Errorf("reservebank: malformed snapshot: %w", err)
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
	b.decisions = decisions
	return nil
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
