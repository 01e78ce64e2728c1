package payerbank

import (
	"bytes"
	"errors"
	"testing"

	"github.com/paycore/paycore/events"
)

// asV1 rewrites a payer.account_opened v2 event as the v1 record the bank
// wrote before v2 existed: same envelope, the v1 payload.
func asV1(t *testing.T, ev events.Envelope) events.Envelope {
	t.Helper()
	v2 := mustDecode(t, ev).(events.AccountOpened)
	payload, err := events.EncodeJSON(events.AccountOpenedV1{
		PayerKey: v2.PayerKey, Account: v2.Account, HolderName: v2.Holder.Name, IDNumber: v2.Holder.IDNumber,
		Phone: v2.Holder.Phone, OpeningBalance: v2.OpeningBalance,
	})
	if err != nil {
		t.Fatal(err)
	}
	ev.Version, ev.Payload = 1, payload
	return ev
}

// foldRecords folds a log the way the runtime rebuilds a partition: each
// event encoded as stored, read back with UnmarshalOwn and DecodeOwn.
func foldRecords(t *testing.T, log []events.Envelope) *bank {
	t.Helper()
	b := newBank(t)
	for _, ev := range log {
		wire, err := events.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		env, err := events.UnmarshalOwn(wire)
		if err != nil {
			t.Fatal(err)
		}
		p, err := reg.DecodeOwn(env)
		if err != nil {
			t.Fatalf("%s v%d: %v", env.Type, env.Version, err)
		}
		b.h.Apply(env, p)
		b.log = append(b.log, env)
	}
	return b
}

// TestLogOfV1AndV2AccountsReplaysAsAllV2: a log in which one account was
// opened by payer.account_opened v1 (before v2 existed) and another by v2
// folds to the same state, byte for byte, as the all-v2 log, and the two
// banks decide the next commands alike (identity matching reads the
// upcast holder).
func TestLogOfV1AndV2AccountsReplaysAsAllV2(t *testing.T) {
	w := newWorld(t)
	w.do("debit", w.debit("T1", "100.00"))

	var mixed []events.Envelope
	v1, v2 := 0, 0
	for _, ev := range w.log {
		if ev.Type == "payer.account_opened" {
			if ev.Version != 2 {
				t.Fatalf("the bank wrote payer.account_opened v%d, want v2", ev.Version)
			}
			if ev.AggregateID == alice.key {
				ev = asV1(t, ev)
				v1++
			} else {
				v2++
			}
		}
		mixed = append(mixed, ev)
	}
	if v1 != 1 || v2 != 1 {
		t.Fatalf("mixed log has %d v1 and %d v2 account openings, want one each", v1, v2)
	}

	allV2, fromMixed := foldRecords(t, w.log), foldRecords(t, mixed)
	want := snapshotOf(t, w.h)
	for name, b := range map[string]*bank{"all-v2 log": allV2, "v1+v2 log": fromMixed} {
		if got := snapshotOf(t, b.h); !bytes.Equal(got, want) {
			t.Fatalf("%s folds to another state:\n%s\nwant\n%s", name, got, want)
		}
	}
	both(t, allV2, fromMixed, allV2.msg("verify alice", verifyCmd(alice, chanB, "sign-2", "100.00", "200.00")))
	both(t, allV2, fromMixed, allV2.msg("open alice again", events.OpenAccount{
		PayerKey: alice.key, Account: alice.account, HolderName: alice.holder, IDNumber: alice.idNumber, Phone: alice.phone,
		OpeningBalance: events.CNY("1000.00"),
	}))
	both(t, allV2, fromMixed, allV2.msg("debit", w.debit("T2", "50.00")))
}

// A snapshot taken before v2 (no id_type) restores as a resident-ID
// account, which is what v1 meant.
func TestSnapshotWithoutIDTypeRestoresAsResidentID(t *testing.T) {
	w := newWorld(t)
	snap := snapshotOf(t, w.h)
	old := bytes.ReplaceAll(snap, []byte(`,"id_type":"resident_id"`), nil)
	if bytes.Equal(old, snap) {
		t.Fatal("the snapshot holds no id_type to remove")
	}
	b := newBank(t)
	if err := b.h.Restore(old); err != nil {
		t.Fatal(err)
	}
	if got := snapshotOf(t, b.h); !bytes.Equal(got, snap) {
		t.Fatalf("restored from an old snapshot:\n%s\nwant\n%s", got, snap)
	}
}

// The bank cannot write the superseded version.
func TestAccountOpenedV1IsNeverWritten(t *testing.T) {
	_, err := reg.New(alice.key, 1, events.AccountOpenedV1{PayerKey: alice.key, Account: alice.account, OpeningBalance: events.CNY("1")},
		events.Meta{ID: events.DeriveID("v1"), CorrelationID: "c", CausationID: "c", OccurredAt: t0})
	if !errors.Is(err, events.ErrVersionSuperseded) {
		t.Fatalf("writing v1: %v, want ErrVersionSuperseded", err)
	}
}
