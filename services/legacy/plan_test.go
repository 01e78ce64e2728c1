package legacy

import (
	"bytes"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
)

var (
	reg   = events.Catalog()
	run1  = time.Date(2024, 3, 1, 2, 0, 0, 0, time.UTC)
	run2  = run1.Add(24 * time.Hour)
	impA  = events.DeriveID("legacy", "import", "file-a")
	impB  = events.DeriveID("legacy", "import", "file-b")
	alice = Agreement{
		Line: 1, LegacyNo: "20180521000100200300400500600700800900", ChannelID: "alipay",
		PayerAccount: "6222020000000101", HolderName: "张三", IDNumber: "110101199001011234", Phone: "13800000101",
		PerPaymentLimit: events.CNY("500.00"), DailyLimit: events.CNY("2000.00"), SignedOn: "2016-05-04",
	}
)

// mappedEnv is the mapping event of p, as the first import wrote it.
func mappedEnv(t *testing.T, p planned, importID string, at time.Time) (events.Envelope, events.AgreementMapped) {
	t.Helper()
	imported := events.AgreementImported{ImportID: importID}
	env, err := p.mappingEvent(reg, events.Envelope{ID: events.DeriveID("reply")}, imported, importID, at)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := reg.Decode(env)
	if err != nil {
		t.Fatal(err)
	}
	return env, p2.(events.AgreementMapped)
}

func marshal(t *testing.T, env events.Envelope) []byte {
	t.Helper()
	b, err := events.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A row imported again after its mapping was written is sent with the
// first import's ID and time: the same envelope, byte for byte, even from
// another file on another day.
func TestCommandOfAMappedRowIsTheFirstOne(t *testing.T) {
	d := testDeriver(t)
	first := plan([]Agreement{alice}, d, NewMappings())[0]
	if first.mapped != nil || first.conflict != "" {
		t.Fatalf("first plan %+v", first)
	}
	cmd1, err := first.command(reg, impA, run1)
	if err != nil {
		t.Fatal(err)
	}
	log := NewMappings()
	log.Add(mappedEnv(t, first, impA, run1))

	again := plan([]Agreement{alice}, d, log)[0]
	if again.mapped == nil || again.conflict != "" {
		t.Fatalf("second plan %+v", again)
	}
	cmd2, err := again.command(reg, impB, run2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(marshal(t, cmd1), marshal(t, cmd2)) {
		t.Errorf("re-import sends another envelope:\n%s\n%s", marshal(t, cmd1), marshal(t, cmd2))
	}

	// Changed content (a corrected limit) is another command: the bank
	// then answers duplicate_key_different_body instead of "imported".
	changed := alice
	changed.DailyLimit = events.CNY("3000.00")
	cmd3, err := plan([]Agreement{changed}, d, log)[0].command(reg, impB, run2)
	if err != nil {
		t.Fatal(err)
	}
	if cmd3.ID == cmd1.ID {
		t.Error("a changed row has the same command ID")
	}
	p, _ := reg.Decode(cmd1)
	if c := p.(events.ImportAgreement); c.AgreementNo != first.agreementNo || c.LegacyNo != alice.LegacyNo || c.PayerKey != d.Key(alice.PayerAccount) {
		t.Errorf("command %+v", c)
	}
}

// The mapping log decides conflicts: the first mapping of a legacy number
// stands, and a row naming another account or channel is not sent.
func TestPlanConflicts(t *testing.T) {
	d := testDeriver(t)
	log := NewMappings()
	log.Add(mappedEnv(t, plan([]Agreement{alice}, d, NewMappings())[0], impA, run1))

	otherAccount := alice
	otherAccount.PayerAccount = "6222020000000102"
	otherChannel := alice
	otherChannel.ChannelID = "tenpay"
	for name, a := range map[string]Agreement{"other account": otherAccount, "other channel": otherChannel} {
		p := plan([]Agreement{a}, d, log)[0]
		if p.conflict != ReasonMappingConflict || p.mapped != nil {
			t.Errorf("%s: plan %+v, want %s", name, p, ReasonMappingConflict)
		}
	}

	// A new number already issued (forced here: a collision cannot be
	// found) is agreement_no_taken, from the log or from the file.
	fresh := alice
	fresh.LegacyNo = "NEW-1"
	p := plan([]Agreement{fresh}, d, NewMappings())[0]
	taken := NewMappings()
	taken.Add(events.Envelope{ID: "x", OccurredAt: run1}, events.AgreementMapped{LegacyNo: "OLD-1", AgreementNo: p.agreementNo, ChannelID: "alipay", PayerKey: p.payerKey, ImportID: impA, Reason: events.MappingNotNetsUnionForm})
	if got := plan([]Agreement{fresh}, d, taken)[0]; got.conflict != ReasonAgreementNoTaken {
		t.Errorf("number mapped from another legacy number: %+v", got)
	}
	if m, ok := taken.ByAgreement(p.agreementNo); !ok || m.LegacyNo != "OLD-1" {
		t.Errorf("ByAgreement = %+v, %v", m, ok)
	}
}

// The first mapping of a legacy number is the mapping; later ones that
// contradict it are counted, repeats are not.
func TestMappingsFirstWins(t *testing.T) {
	m := NewMappings()
	e := events.AgreementMapped{LegacyNo: "L1", AgreementNo: "NU1", ChannelID: "alipay", PayerKey: "K1", ImportID: impA, Reason: events.MappingNotNetsUnionForm}
	m.Add(events.Envelope{ID: "1", OccurredAt: run1}, e)
	m.Add(events.Envelope{ID: "1", OccurredAt: run1}, e)
	other := e
	other.AgreementNo = "NU2"
	m.Add(events.Envelope{ID: "2", OccurredAt: run2}, other)
	stealer := e
	stealer.LegacyNo = "L2"
	m.Add(events.Envelope{ID: "3", OccurredAt: run2}, stealer)
	if got, _ := m.ByLegacy("L1"); got.AgreementNo != "NU1" || !got.At.Equal(run1) || got.EventID != "1" {
		t.Errorf("ByLegacy(L1) = %+v", got)
	}
	if got, ok := m.ByAgreement("NU1"); !ok || got.LegacyNo != "L1" {
		t.Errorf("ByAgreement(NU1) = %+v, %v", got, ok)
	}
	if _, ok := m.ByLegacy("L2"); ok {
		t.Error("a second legacy number took NU1")
	}
	if _, ok := m.ByAgreement("NU2"); ok {
		t.Error("a contradicting mapping was folded")
	}
	if m.Len() != 1 || m.Ignored != 2 {
		t.Errorf("Len %d, Ignored %d; want 1, 2", m.Len(), m.Ignored)
	}
}
