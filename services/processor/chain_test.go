package processor

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/chain"
)

func probeEvent(t *testing.T, agg string, seq uint64, amount string) events.Envelope {
	t.Helper()
	at := time.Date(2026, 3, 1, 8, 0, int(seq), 0, time.UTC)
	env, err := events.Catalog().New(agg, seq, events.ProbeSent{ProbeID: agg, Amount: events.CNY(amount), SentAt: at}, events.Meta{
		ID: events.DeriveID(agg, fmt.Sprint(seq)), CorrelationID: agg, CausationID: agg, OccurredAt: at,
	})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// readBack decodes a record as rebuild does.
func readBack(t *testing.T, wire []byte) events.Envelope {
	t.Helper()
	env, err := events.UnmarshalOwn(wire)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// TestLinksRebuildAsWritten: a partition rebuilt from the log (with
// duplicates, a forged record and pre-chain events in it) ends with the
// chain state of the partition that wrote it, hands Apply envelopes
// without chain values, and its next event verifies.
func TestLinksRebuildAsWritten(t *testing.T) {
	key := []byte(chain.DevKey)
	writer := newLinks(key)
	var log [][]byte
	legacy, err := events.Marshal(probeEvent(t, "a", 1, "1.00"))
	if err != nil {
		t.Fatal(err)
	}
	log = append(log, legacy)
	for seq := uint64(2); seq <= 4; seq++ {
		for _, agg := range []string{"a", "b"} {
			wire, err := writer.seal(probeEvent(t, agg, seq, "2.00"))
			if err != nil {
				t.Fatal(err)
			}
			log = append(log, wire)
		}
	}
	log = append(log, log[3])                                     // a second owner's copy of a/3
	forged, _ := events.Marshal(probeEvent(t, "b", 5, "9999.00")) // no key, no valid chain
	log = append(log, forged)

	rebuilt := newLinks(key)
	for _, wire := range log {
		env := rebuilt.learn(readBack(t, wire), wire)
		if env.Chain != "" {
			t.Fatal("learn handed Apply an envelope with its chain value")
		}
	}
	if len(rebuilt.last) != 2 {
		t.Fatalf("rebuilt chain state has %d aggregates, want 2", len(rebuilt.last))
	}
	for k, v := range writer.last {
		if rebuilt.last[k] != v {
			t.Fatalf("aggregate %x: rebuilt value %s, written %s", k, rebuilt.last[k], v)
		}
	}

	// The next event of each aggregate links to the last authentic one.
	next, err := rebuilt.seal(probeEvent(t, "b", 6, "3.00"))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := chain.New(key)
	if _, chained, ok := c.CheckRecord(writer.last[chain.KeyOf("b")], next); !chained || !ok {
		t.Fatalf("next event after rebuild does not link: chained %v ok %v", chained, ok)
	}
}

func TestChainStateRoundTripsThroughSnapshots(t *testing.T) {
	l := newLinks([]byte(chain.DevKey))
	for i := range 50 {
		if _, err := l.seal(probeEvent(t, fmt.Sprintf("agg-%d", i), 1, "1.00")); err != nil {
			t.Fatal(err)
		}
	}
	handlerState := []byte(`{"version":1,"accounts":[]}`)
	snap := l.appendTo(bytes.Clone(handlerState))
	if again := l.appendTo(bytes.Clone(handlerState)); !bytes.Equal(snap, again) {
		t.Fatal("the same chain state encoded two ways")
	}
	h, section, err := splitSnapshot(snap)
	if err != nil || !bytes.Equal(h, handlerState) {
		t.Fatalf("split: handler %q, err %v", h, err)
	}
	restored := newLinks([]byte(chain.DevKey))
	if err := restored.restore(section); err != nil {
		t.Fatal(err)
	}
	if len(restored.last) != 50 {
		t.Fatalf("restored %d aggregates, want 50", len(restored.last))
	}
	for k, v := range l.last {
		if restored.last[k] != v {
			t.Fatalf("aggregate %x restored as %s, want %s", k, restored.last[k], v)
		}
	}

	// A snapshot from before chaining is all handler state.
	h, section, err = splitSnapshot(handlerState)
	if err != nil || section != nil || !bytes.Equal(h, handlerState) {
		t.Fatalf("old snapshot split into %q / %q, %v", h, section, err)
	}
	// A damaged section is refused, so rebuild folds the whole log.
	if _, _, err := splitSnapshot(append([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, chainMagic...)); err == nil {
		t.Error("a section claiming more entries than it holds was accepted")
	}
	_, section, _ = splitSnapshot(snap)
	if err := restored.restore(section[:len(section)-1]); err == nil {
		t.Error("a truncated section was accepted")
	}
	swapped := bytes.Clone(section)
	copy(swapped, section[chainEntryBytes:2*chainEntryBytes])
	copy(swapped[chainEntryBytes:], section[:chainEntryBytes])
	if err := restored.restore(swapped); err == nil {
		t.Error("an unsorted section was accepted")
	}
}
