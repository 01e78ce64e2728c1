package saga

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// startOther starts a payment with its own TxnID at d.
func startOther(x *harness, n int, d time.Duration) string {
	c := startPayment("order-"+strconv.Itoa(n), "hash")
	c.TxnID = events.DeriveID("test", "txn", strconv.Itoa(n))
	x.send(c, at(d))
	return c.TxnID
}

func dueIDs(t *testing.T, x *harness, now time.Time) []string {
	t.Helper()
	var ids []string
	for _, o := range x.h.Due(now) {
		env, err := events.Unmarshal(o.Value)
		if err != nil {
			t.Fatal(err)
		}
		p, err := x.reg.Decode(env)
		if err != nil {
			t.Fatal(err)
		}
		fd := p.(events.FireDeadline)
		if o.Topic != testTopics.SagaInbox || o.Key != fd.SagaID || env.AggregateID != fd.SagaID {
			t.Fatalf("deadline command %s to %s keyed %s: want saga.inbox keyed by the saga", fd.SagaID, o.Topic, o.Key)
		}
		if want := events.DeriveID(fd.SagaID, "deadline", fd.Deadline.UTC().Format(time.RFC3339Nano)); env.ID != want {
			t.Fatalf("deadline command ID %s, want %s", env.ID, want)
		}
		ids = append(ids, fd.SagaID)
	}
	slices.Sort(ids)
	return ids
}

func TestDueFiresOnlyPassedDeadlines(t *testing.T) {
	x := newHarness(t)
	a := startOther(x, 1, 0)             // deadline 2s
	b := startOther(x, 2, time.Second)   // deadline 3s
	c := startOther(x, 3, 5*time.Second) // deadline 7s
	done := startOther(x, 4, 0)          // finished before its deadline
	x.send(events.PayerDebitRefused{TxnID: done, ReasonCode: events.ReasonInsufficientFunds}, at(time.Second))
	x.send(startSigning("sign-order", "h"), at(0)) // deadline 2s

	if got := dueIDs(t, x, at(1999*time.Millisecond)); len(got) != 0 {
		t.Errorf("due before any deadline: %v", got)
	}
	want := []string{a, signingID}
	slices.Sort(want)
	if got := dueIDs(t, x, at(2*time.Second)); !slices.Equal(got, want) {
		t.Errorf("due at 2s: %v, want %v", got, want)
	}
	// Due changes nothing: asked again, it returns the same records.
	first, again := x.h.Due(at(2*time.Second)), x.h.Due(at(2*time.Second))
	for i := range first {
		if !bytes.Equal(first[i].Value, again[i].Value) {
			t.Fatal("Due returned different records for the same deadlines")
		}
	}
	want = []string{a, b, signingID}
	slices.Sort(want)
	if got := dueIDs(t, x, at(3*time.Second)); !slices.Equal(got, want) {
		t.Errorf("due at 3s: %v, want %v", got, want)
	}

	// Each command is handled once: it moves its saga, a second delivery
	// records nothing, and the saga is no longer due at that time.
	for _, o := range x.h.Due(at(3 * time.Second)) {
		env, _ := events.Unmarshal(o.Value)
		p, _ := x.reg.Decode(env)
		m := processor.Message{Topic: o.Topic, Key: []byte(o.Key), Value: o.Value, Envelope: env, Payload: p, Time: at(3 * time.Second)}
		if out := x.handle(m); len(out.Events) != 1 {
			t.Fatalf("deadline of %s recorded %d events, want 1", o.Key, len(out.Events))
		}
		if out := x.handle(m); len(out.Events) != 0 {
			t.Fatalf("deadline of %s handled twice", o.Key)
		}
	}
	if got := dueIDs(t, x, at(3*time.Second)); len(got) != 0 {
		t.Errorf("due after handling: %v", got)
	}
	if got := dueIDs(t, x, at(time.Hour)); !slices.Contains(got, c) || slices.Contains(got, done) {
		t.Errorf("due at 1h: %v: want every running saga and no finished one", got)
	}
}

func TestDueIsBounded(t *testing.T) {
	x := newHarnessWith(t, Config{Topics: testTopics, DueMax: 3})
	for i := range 10 {
		startOther(x, i, 0)
	}
	if got := len(x.h.Due(at(time.Minute))); got != 3 {
		t.Errorf("Due returned %d commands, want DueMax 3", got)
	}
}

// Folding the log into a fresh handler rebuilds the same sagas, the same
// deadlines and the same decisions; folding it twice changes nothing.
func TestRebuildReproducesState(t *testing.T) {
	x := newHarness(t)
	dl := deadline(txnID)
	for _, s := range seq(start(0), dl, debitStatus(events.LegDone, "", 2500*time.Millisecond), startAs("order-2", "hash-2", 3*time.Second),
		sign(0), verified(time.Second), code("c0", 2*time.Second), code("c1", 3*time.Second), codeRejected("c1", 4*time.Second)) {
		x.handle(s(x))
	}
	for i := range 5 {
		startOther(x, i, time.Duration(i)*time.Second)
	}

	y := newHarness(t)
	for range 2 {
		for _, env := range x.log {
			p, err := y.reg.Decode(env)
			if err != nil {
				t.Fatal(err)
			}
			y.h.Apply(env, p)
		}
	}
	if fmt.Sprint(x.h.Payment(txnID)) != fmt.Sprint(y.h.Payment(txnID)) || fmt.Sprint(x.h.Signing(signingID)) != fmt.Sprint(y.h.Signing(signingID)) {
		t.Fatalf("rebuilt sagas differ:\n%v\n%v", y.h.payments[txnID], x.h.payments[txnID])
	}
	for _, now := range []time.Time{at(0), at(3 * time.Second), at(time.Hour)} {
		a, b := x.h.Due(now), y.h.Due(now)
		if len(a) != len(b) {
			t.Fatalf("Due(%v): %d commands rebuilt, %d live", now, len(b), len(a))
		}
		for i := range a {
			if !bytes.Equal(a[i].Value, b[i].Value) {
				t.Fatalf("Due(%v) differs after rebuild", now)
			}
		}
	}
	m := x.msg(events.ReserveCredited{TxnID: txnID, ReserveAccount: "reserve-1", ChannelID: "chan-1", Amount: events.CNY("12.34")}, at(5*time.Second))
	a, errA := x.h.Handle(m)
	b, errB := y.h.Handle(m)
	if errA != nil || errB != nil || fmt.Sprint(x.lines(a)) != fmt.Sprint(y.lines(b)) || a.Events[0].ID != b.Events[0].ID {
		t.Fatalf("rebuilt handler decides differently: %v / %v", x.lines(a), y.lines(b))
	}
}

func TestApplyRefusesACorruptLog(t *testing.T) {
	x := newHarness(t)
	x.handle(start(0)(x))
	started := x.log[0]
	finished := func(seq uint64) (events.Envelope, events.Payload) {
		p := events.PaymentFinished{TxnID: txnID, Status: events.StatusSuccess, PayerDebited: legYes, ReserveCredited: legYes}
		env, err := x.reg.New(txnID, seq, p, events.Meta{ID: events.DeriveID("f", strconv.FormatUint(seq, 10)),
			CorrelationID: "c", CausationID: "c", OccurredAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		return env, p
	}
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: Apply did not panic", name)
			}
		}()
		f()
	}
	mustPanic("sequence gap", func() { x.h.Apply(finished(3)) })
	mustPanic("never started", func() {
		env, p := finished(2)
		env.AggregateID = "other"
		x.h.Apply(env, p)
	})
	mustPanic("foreign event", func() {
		p := events.PayerDebitRefused{TxnID: txnID, ReasonCode: "x"}
		env, _ := x.reg.New(txnID, 2, p, events.Meta{ID: started.ID, CorrelationID: "c", CausationID: "c", OccurredAt: t0})
		x.h.Apply(env, p)
	})
	x.h.Apply(finished(2))
	x.h.Apply(finished(2)) // already folded: ignored
	mustPanic("finished twice", func() { x.h.Apply(finished(3)) })
}

// The timer heap against a plain map, under random arming, moving and
// disarming.
func TestTimersMatchAReferenceModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	tm := newTimers()
	ref := map[string]time.Time{}
	for range 5000 {
		id := strconv.Itoa(rng.IntN(200))
		if rng.IntN(4) == 0 {
			tm.remove(id)
			delete(ref, id)
		} else {
			d := at(time.Duration(rng.IntN(1000)) * time.Millisecond)
			tm.set(id, d)
			ref[id] = d
		}
		now := at(time.Duration(rng.IntN(1000)) * time.Millisecond)
		var got, want []string
		tm.due(now, len(ref)+1, func(id string, at time.Time) {
			if !at.Equal(ref[id]) {
				t.Fatalf("timer %s at %v, armed at %v", id, at, ref[id])
			}
			got = append(got, id)
		})
		for id, d := range ref {
			if !d.After(now) {
				want = append(want, id)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) || tm.len() != len(ref) {
			t.Fatalf("due %v, want %v (%d armed, %d expected)", got, want, tm.len(), len(ref))
		}
	}
}

// BenchmarkDue measures a tick with a million running sagas, of which
// none or a hundred are due: the cost follows the due ones, not the held.
func BenchmarkDue(b *testing.B) {
	h, err := New(Config{Topics: testTopics}, events.Catalog())
	if err != nil {
		b.Fatal(err)
	}
	const n = 1_000_000
	for i := range n {
		id := events.DeriveID("bench", strconv.Itoa(i))
		d := at(time.Hour + time.Duration(i)*time.Millisecond)
		if i%(n/100) == 0 {
			d = at(time.Duration(i) * time.Nanosecond)
		}
		h.payments[id] = &payment{id: id, run: &paymentRun{correlation: "c", deadline: d, entered: stepRef{id: id, seq: 1, at: t0}}}
		h.timers.set(id, d)
	}
	for _, bc := range []struct {
		name string
		now  time.Time
		due  int
	}{{"none due", t0.Add(-time.Second), 0}, {"100 due", at(time.Minute), 100}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if got := len(h.Due(bc.now)); got != bc.due {
					b.Fatalf("%d due, want %d", got, bc.due)
				}
			}
		})
	}
}
