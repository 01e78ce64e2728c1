package clearing

import (
	"errors"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
)

func TestDraftContinuesTheBatchStream(t *testing.T) {
	reg := events.Catalog()
	l := NewLog(reg)
	at := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	const batch = "B20260302-1400"
	instr := events.SettlementInstructed{BatchID: batch, InstructionID: InstructionID(batch, "RSV-A"), FromBank: PayerBank,
		ToBank: ReserveBank, ReserveAccount: "RSV-A", Amount: events.CNY("10.00")}
	closed := events.BatchClosed{BatchID: batch, WindowStart: at.Add(-time.Hour), WindowEnd: at, Payments: 1,
		SettledAmount: events.CNY("10.00"), ClosedAt: at}

	d := l.Draft(batch, at)
	e1, err1 := d.Add(events.DeriveID("i1"), BatchClosedID(batch), instr)
	e2, err2 := d.Add(BatchClosedID(batch), BatchCorrelation(batch), closed)
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	if e1.Sequence != 1 || e2.Sequence != 2 || d.Fresh() != 2 || e1.AggregateID != batch || e1.CorrelationID != BatchCorrelation(batch) {
		t.Fatalf("first draft: %+v, %+v, fresh %d", e1, e2, d.Fresh())
	}
	// As if read back from Kafka.
	l.add(e1, instr)
	l.add(e2, closed)
	if c, ok := l.Closed(batch); !ok || c.Payments != 1 {
		t.Fatalf("Closed(%s) = %+v, %v", batch, c, ok)
	}

	// Later: the same fact again is the very same envelope (its time and
	// sequence included); a new fact continues after the stream.
	later := at.Add(time.Hour)
	d = l.Draft(batch, later)
	same, err := d.Add(events.DeriveID("i1"), BatchClosedID(batch), instr)
	if err != nil || same.Sequence != 1 || !same.OccurredAt.Equal(at) || same.ID != e1.ID {
		t.Errorf("re-adding a recorded event: %+v, %v", same, err)
	}
	rec := events.BatchReconciled{BatchID: batch, Bank: events.BankPayer, Matched: 1}
	next, err := d.Add(events.DeriveID("r1"), BatchClosedID(batch), rec)
	if err != nil || next.Sequence != 3 || !next.OccurredAt.Equal(later) {
		t.Errorf("new event: %+v, %v", next, err)
	}
	if d.Fresh() != 1 || len(d.Envelopes()) != 2 {
		t.Errorf("fresh %d of %d, want 1 of 2", d.Fresh(), len(d.Envelopes()))
	}

	// The same ID with other contents is refused.
	instr.Amount = events.CNY("11.00")
	if _, err := d.Add(events.DeriveID("i1"), BatchClosedID(batch), instr); !errors.Is(err, ErrConflict) {
		t.Errorf("conflicting payload: %v, want ErrConflict", err)
	}
	// Another batch's stream starts at 1.
	if e, err := l.Draft("B20260302-1500", later).Add(events.DeriveID("x"), "c", rec); err != nil || e.Sequence != 1 {
		t.Errorf("other batch: %+v, %v", e, err)
	}
	if l.Records() != 2 || l.DistinctIDs() != 2 {
		t.Errorf("records %d distinct %d", l.Records(), l.DistinctIDs())
	}
}
