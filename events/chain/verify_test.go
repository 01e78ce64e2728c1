package chain

import (
	"bytes"
	"strings"
	"testing"

	"github.com/paycore/paycore/events"
)

// testLog writes chained events the way the processor runtime does.
type testLog struct {
	t    *testing.T
	c    *Chainer
	last map[string]Value
	recs []Record
}

func newTestLog(t *testing.T) *testLog {
	return &testLog{t: t, c: newChainer(t, testKey), last: map[string]Value{}}
}

// seal appends event seq of agg, chained, and returns its record.
func (l *testLog) seal(agg string, seq uint64, amount string) Record {
	l.t.Helper()
	wire, v, err := l.c.Seal(l.last[agg], probe(l.t, agg, seq, amount))
	if err != nil {
		l.t.Fatal(err)
	}
	l.last[agg] = v
	return l.append(agg, wire)
}

// legacy appends an event written before chaining existed.
func (l *testLog) legacy(agg string, seq uint64) Record {
	l.t.Helper()
	wire, err := events.Marshal(probe(l.t, agg, seq, "1.00"))
	if err != nil {
		l.t.Fatal(err)
	}
	return l.append(agg, wire)
}

func (l *testLog) append(key string, value []byte) Record {
	r := Record{Topic: "t.events", Partition: 0, Offset: int64(len(l.recs)), Key: []byte(key), Value: value}
	l.recs = append(l.recs, r)
	return r
}

func verify(t *testing.T, recs []Record) Report {
	t.Helper()
	v, err := NewVerifier(testKey)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		r.Offset = int64(i)
		v.Add(r)
	}
	return v.Report()
}

func TestVerifierAcceptsAnIntactLog(t *testing.T) {
	l := newTestLog(t)
	l.legacy("old", 1) // before chaining: reported, not failed
	l.legacy("old", 2)
	l.seal("old", 3, "3.00") // the first chained event links to zero
	for seq := uint64(1); seq <= 3; seq++ {
		l.seal("a", seq, "10.00")
		l.seal("b", seq, "20.00")
	}
	dup := l.recs[len(l.recs)-1] // b/3 written again by a second owner
	l.recs = append(l.recs, dup)
	rep := verify(t, l.recs)
	if !rep.Clean() {
		t.Fatalf("intact log reported broken:\n%s", rep)
	}
	st := rep.Topics[0]
	if st.Records != 10 || st.Aggregates != 3 || st.Chained != 7 || st.Unchained != 2 || st.Duplicates != 1 || st.Divergent != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestVerifierFindsEachTampering: one row per way of tampering; each must
// be reported at the record that was tampered with, and only there.
func TestVerifierFindsEachTampering(t *testing.T) {
	tests := []struct {
		name string
		// tamper edits a clean log of a/1..4 and b/1..2 (records 0..3 are
		// a/1..4, 4..5 are b/1..2) and returns the log, the offset and
		// sequence of the break it must cause, and a word of its reason.
		tamper     func(l *testLog) []Record
		wantOffset int64
		wantAgg    string
		wantSeq    uint64
		wantReason string
	}{
		{"payload altered in place", func(l *testLog) []Record {
			l.recs[1].Value = bytes.Replace(l.recs[1].Value, []byte(`"10.00"`), []byte(`"99.00"`), 1)
			return l.recs
		}, 1, "a", 2, "chain mismatch"},
		{"forged next event with a copied chain value", func(l *testLog) []Record {
			forged := probe(t, "b", 3, "5000.00")
			env, _ := events.Unmarshal(l.recs[5].Value)
			forged.Chain = env.Chain
			wire, _ := events.Marshal(forged)
			return append(l.recs, Record{Topic: "t.events", Key: []byte("b"), Value: wire})
		}, 6, "b", 3, "chain mismatch"},
		{"forged next event without a chain value", func(l *testLog) []Record {
			wire, _ := events.Marshal(probe(t, "b", 3, "5000.00"))
			return append(l.recs, Record{Topic: "t.events", Key: []byte("b"), Value: wire})
		}, 6, "b", 3, "without a chain"},
		{"event deleted", func(l *testLog) []Record {
			return append(l.recs[:1:1], l.recs[2:]...)
		}, 1, "a", 3, "missing"},
		{"events swapped", func(l *testLog) []Record {
			l.recs[1], l.recs[2] = l.recs[2], l.recs[1]
			return l.recs
		}, 1, "a", 3, "missing"},
		{"filed under another key", func(l *testLog) []Record {
			l.recs[3].Key = []byte("b")
			return l.recs
		}, 3, "a", 4, "record key"},
		{"garbage record", func(l *testLog) []Record {
			l.recs[2].Value = []byte(`{"id":`)
			return l.recs
		}, 2, "a", 0, "undecodable"},
		{"chained with another key", func(l *testLog) []Record {
			other := newChainer(t, []byte("forger-key-forger-key-forger-key!"))
			wire, _, _ := other.Seal(Value{}, probe(t, "c", 1, "1.00"))
			return append(l.recs, Record{Topic: "t.events", Key: []byte("c"), Value: wire})
		}, 6, "c", 1, "chain mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newTestLog(t)
			for seq := uint64(1); seq <= 4; seq++ {
				l.seal("a", seq, "10.00")
			}
			l.seal("b", 1, "20.00")
			l.seal("b", 2, "20.00")
			rep := verify(t, tt.tamper(l))
			if rep.Clean() || len(rep.Breaks) != 1 {
				t.Fatalf("want exactly one broken aggregate:\n%s", rep)
			}
			b := rep.Breaks[0]
			if b.Offset != tt.wantOffset || b.AggregateID != tt.wantAgg || b.Sequence != tt.wantSeq || !strings.Contains(b.Reason, tt.wantReason) {
				t.Fatalf("break %s; want offset %d aggregate %s sequence %d (%s)", b, tt.wantOffset, tt.wantAgg, tt.wantSeq, tt.wantReason)
			}
		})
	}
}

// TestVerifierFollowsTheFold: after a forged event, the writer (which
// extends only links that hold) chains its next event to the last good
// value, and the verifier accepts it: one break, not a cascade. A
// divergent duplicate is reported but is not a break.
func TestVerifierFollowsTheFold(t *testing.T) {
	l := newTestLog(t)
	l.seal("a", 1, "10.00")
	good := l.last["a"]
	forged, _ := events.Marshal(probe(t, "a", 2, "5000.00"))
	l.append("a", forged)
	l.last["a"] = good
	l.seal("a", 3, "10.00")
	divergent, _, _ := l.c.Seal(Value{}, probe(t, "a", 1, "11.00"))
	l.append("a", divergent)
	rep := verify(t, l.recs)
	if len(rep.Breaks) != 1 || rep.Breaks[0].Sequence != 2 || rep.Topics[0].Broken != 1 {
		t.Fatalf("want one break at sequence 2:\n%s", rep)
	}
	if rep.Topics[0].Duplicates != 1 || rep.Topics[0].Divergent != 1 || len(rep.Divergent) != 1 || rep.Divergent[0].Offset != 3 {
		t.Fatalf("want one divergent duplicate at offset 3:\n%s", rep)
	}
}

func TestVerifierKeepsPartitionsApart(t *testing.T) {
	l := newTestLog(t)
	r1 := l.seal("a", 1, "1.00")
	delete(l.last, "a")
	r2 := l.seal("a", 1, "1.00") // the same aggregate ID in another partition starts its own chain
	r2.Partition = 1
	rep := verify(t, []Record{r1, r2})
	if !rep.Clean() || rep.Topics[0].Aggregates != 2 || rep.Topics[0].Duplicates != 0 {
		t.Fatalf("partitions mixed:\n%s", rep)
	}
	v, _ := NewVerifier(testKey)
	v.Add(r1)
	v.Add(r2)
	defer func() {
		if recover() == nil {
			t.Error("a partition revisited after another was accepted")
		}
	}()
	v.Add(r1)
}
