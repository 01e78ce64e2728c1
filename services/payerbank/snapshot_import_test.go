package payerbank

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// Imported agreements in snapshots: the import reply is kept byte for
// byte, a restored bank answers imports and debits as the original, and a
// snapshot without imports encodes exactly as before imports existed.

const legacyTen = "D0000000042" // short, but not of the NetsUnion form

// importWorld is a snapshot world with three imported agreements: alice's
// (used on two days), dave's (terminated) and carol's on chanB.
type importWorld struct {
	*snapWorld
	aliceImp, daveImp, carolImp events.ImportAgreement
}

func newImportWorld(t *testing.T) *importWorld {
	t.Helper()
	w := &importWorld{snapWorld: &snapWorld{world: newWorld(t, snapLink, withLegacyReplies)}}
	w.open(snapDave, "500.00")
	w.at(t0.Add(time.Minute))
	w.aliceImp = importCmd(alice, chanB, legacyAli)
	w.daveImp = importCmd(snapDave, chanA, legacyTen)
	w.carolImp = importCmd(carol, chanB, "CAROL-LEGACY-1")
	w.send("import alice", w.aliceImp)
	w.send("import dave", w.daveImp)
	w.send("import carol", w.carolImp)
	w.send("import eve (no account)", importCmd(snapEve, chanA, "EVE-1"))
	w.send("debit I1", debitCmd(alice, w.aliceImp.AgreementNo, chanB, "I1", "120.00"))
	w.send("terminate dave", terminateCmd(snapDave, w.daveImp.AgreementNo, chanA, "R-dave", "hash-dave"))
	w.at(day2)
	w.send("debit I2", debitCmd(alice, w.aliceImp.AgreementNo, chanB, "I2", "200.00"))
	return w
}

func restoredWithImports(t *testing.T, snap []byte) *bank {
	t.Helper()
	b := newBank(t, snapLink, withLegacyReplies)
	if err := b.h.Restore(snap); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	return b
}

func TestSnapshotWithImports(t *testing.T) {
	w := newImportWorld(t)
	snap := snapshotOf(t, w.h)
	if !bytes.Contains(snap, []byte(`"import_reply":{`)) {
		t.Fatal("snapshot keeps no import reply")
	}
	if got := snapshotOf(t, restoredWithImports(t, snap).h); !bytes.Equal(got, snap) {
		t.Fatalf("snapshot of the restored handler differs:\n got %s\nwant %s", got, snap)
	}
	// Compatibility: without imports nothing new is written, so a snapshot
	// taken before imports existed and one taken now agree.
	if plain := snapshotOf(t, newSnapWorld(t).h); bytes.Contains(plain, []byte("import_reply")) || bytes.Contains(plain, []byte("legacy")) {
		t.Error("a snapshot without imports mentions them")
	}

	orig := w.bank
	rest := restoredWithImports(t, snap)
	for _, m := range w.sent {
		both(t, orig, rest, m)
	}
	other := w.aliceImp
	other.PerPaymentLimit = events.CNY("1.00")
	again := w.carolImp
	again.ImportID = "import-2"
	for i, p := range []events.Payload{
		w.aliceImp, other, again, w.daveImp,
		importCmd(alice, chanA, "ALICE-A"), // agreement_exists
		importCmd(snapDave, chanA, "DAVE-2"),
		debitCmd(alice, w.aliceImp.AgreementNo, chanB, "I3", "100.01"), // over day 2's limit
		debitCmd(alice, w.aliceImp.AgreementNo, chanB, "I4", "100.00"),
		debitCmd(snapDave, w.daveImp.AgreementNo, chanA, "I5", "1.00"), // terminated
		terminateCmd(carol, w.carolImp.AgreementNo, chanB, "R-carol-imp", "h"),
	} {
		orig.at(day2.Add(time.Duration(i) * time.Minute))
		both(t, orig, rest, orig.msg(fmt.Sprintf("after %d", i), p))
	}
	nos := []string{w.aliceImp.AgreementNo, w.daveImp.AgreementNo, w.carolImp.AgreementNo, importCmd(snapDave, chanA, "DAVE-2").AgreementNo}
	sameViews(t, orig, rest, nos, []string{"I1", "I2", "I3", "I4", "I5"})
	for _, no := range nos {
		g, _ := rest.h.Agreement(no)
		o, _ := orig.h.Agreement(no)
		if g.LegacyNo != o.LegacyNo || o.LegacyNo == "" {
			t.Errorf("agreement %s: legacy number restored %q, original %q", no, g.LegacyNo, o.LegacyNo)
		}
	}
}

func TestRestoreRefusesInconsistentImports(t *testing.T) {
	w := newImportWorld(t)
	snap := snapshotOf(t, w.h)
	edit := func(f func(*agreementSnap)) []byte {
		var s snapshotV1
		if err := processor.DecodeSnapshot(snap, &s); err != nil {
			t.Fatal(err)
		}
		for i := range s.Agreements {
			if s.Agreements[i].No == w.aliceImp.AgreementNo {
				f(&s.Agreements[i])
			}
		}
		b, err := processor.EncodeSnapshot(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var signed []byte // a signed agreement's verify reply, for a wrong type
	{
		var s snapshotV1
		if err := processor.DecodeSnapshot(snap, &s); err != nil {
			t.Fatal(err)
		}
		signed = s.Signings[0].VerifyReply
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"imported without its reply", edit(func(a *agreementSnap) { a.ImportReply = nil }), "did not sign it"},
		{"signed with an import reply", edit(func(a *agreementSnap) { a.SigningID = "sign-alice" }), "import reply"},
		{"reply of another agreement", edit(func(a *agreementSnap) { a.DailyLimit = events.CNY("999.00") }), "describes another agreement"},
		{"reply of another type", edit(func(a *agreementSnap) { a.ImportReply = signed }), "unexpected"},
	}
	for _, tt := range tests {
		err := newBank(t, withLegacyReplies).h.Restore(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Restore = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}
