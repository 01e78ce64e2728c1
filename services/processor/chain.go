package processor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/chain"
)

// links is the hash-chain state of one partition's event log: the chain
// value of the last event of each aggregate (see package events/chain).
// The runtime seals every event a Handler returns with it, so handlers
// never see chain values: Apply gets envelopes without Chain, live and
// during rebuild alike, and states (and their snapshots) do not depend on
// the key.
//
// A value is 32 bytes under a 16-byte key in a pointer-free map: about 70
// bytes per aggregate, 70 MB for a partition of a million aggregates.
type links struct {
	c    *chain.Chainer
	last map[chain.AggregateKey]chain.Value
}

func newLinks(key []byte) *links {
	c, err := chain.New(key)
	if err != nil {
		panic("processor: " + err.Error()) // setDefaults gives a key
	}
	return &links{c: c, last: map[chain.AggregateKey]chain.Value{}}
}

// seal returns the wire encoding of env, a new event of the partition,
// chained to its aggregate's last event, and makes it the last.
func (l *links) seal(env events.Envelope) ([]byte, error) {
	k := chain.KeyOf(env.AggregateID)
	wire, v, err := l.c.Seal(l.last[k], env)
	if err != nil {
		return nil, err
	}
	l.last[k] = v
	return wire, nil
}

// learn takes in an event read back from the log during a rebuild (env,
// decoded from record) and returns it without its chain value, for Apply. The event becomes its
// aggregate's last link only if its link holds: a duplicate (a second
// owner's copy of an event, which the fold ignores too), an event written
// before chaining existed, or a forged one leaves the chain where it was,
// so the events this partition writes next keep extending the authentic
// chain, and `paycore verify-chain` reports only the records at fault.
func (l *links) learn(env events.Envelope, record []byte) events.Envelope {
	if env.Chain == "" {
		return env
	}
	k := chain.KeyOf(env.AggregateID)
	if v, _, ok := l.c.CheckRecord(l.last[k], record); ok {
		l.last[k] = v
	}
	env.Chain = ""
	return env
}

// The chain state travels inside a snapshot, after the handler's state:
//
//	handler state | n × (aggregate key 16 B, chain value 32 B) | n uint64 | "PCCHAIN1"
//
// entries sorted by key, so the same state always gives the same bytes.
// A snapshot written before chaining existed has no trailer and restores
// with an empty chain state (its log held no chained events); one with a
// trailer fails Restore on code that predates it ("trailing data"), which
// then folds the whole log: a downgrade is slow, never wrong.
var chainMagic = []byte("PCCHAIN1")

const (
	chainEntryBytes   = len(chain.AggregateKey{}) + len(chain.Value{})
	chainTrailerBytes = 8 + 8
)

// appendTo appends the chain section to a handler's snapshot.
func (l *links) appendTo(state []byte) []byte {
	keys := make([]chain.AggregateKey, 0, len(l.last))
	for k := range l.last {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b chain.AggregateKey) int { return bytes.Compare(a[:], b[:]) })
	out := slices.Grow(state, len(keys)*chainEntryBytes+chainTrailerBytes)
	for _, k := range keys {
		v := l.last[k]
		out = append(append(out, k[:]...), v[:]...)
	}
	out = binary.BigEndian.AppendUint64(out, uint64(len(keys)))
	return append(out, chainMagic...)
}

// splitSnapshot separates a snapshot's handler state from its chain
// section; section is nil for a snapshot without one.
func splitSnapshot(state []byte) (handler, section []byte, err error) {
	if len(state) < chainTrailerBytes || !bytes.HasSuffix(state, chainMagic) {
		return state, nil, nil
	}
	n := binary.BigEndian.Uint64(state[len(state)-chainTrailerBytes:])
	size := uint64(len(state) - chainTrailerBytes)
	if n > size/uint64(chainEntryBytes) {
		return nil, nil, fmt.Errorf("chain section of %d entries does not fit in %d bytes", n, size)
	}
	start := len(state) - chainTrailerBytes - int(n)*chainEntryBytes
	return state[:start], state[start : len(state)-chainTrailerBytes], nil
}

// restore replaces the chain state with a snapshot's chain section.
func (l *links) restore(section []byte) error {
	if len(section)%chainEntryBytes != 0 {
		return errors.New("chain section is not a whole number of entries")
	}
	last := make(map[chain.AggregateKey]chain.Value, len(section)/chainEntryBytes)
	var prev chain.AggregateKey
	for i := 0; i < len(section); i += chainEntryBytes {
		k := chain.AggregateKey(section[i : i+len(prev)])
		if i > 0 && bytes.Compare(prev[:], k[:]) >= 0 {
			return errors.New("chain section is not sorted")
		}
		last[k] = chain.Value(section[i+len(prev) : i+chainEntryBytes])
		prev = k
	}
	l.last = last
	return nil
}

// snapshot returns what a snapshot of the partition holds: the handler's
// state and the chain state after it.
func (p *partition) snapshot() ([]byte, error) {
	snap, ok := p.handler.(Snapshotter)
	if !ok {
		return nil, errors.New("handler keeps no snapshots")
	}
	state, err := snap.Snapshot()
	if err != nil {
		return nil, err
	}
	return p.chain.appendTo(state), nil
}

// restore restores a snapshot's handler state into snap (the partition's
// handler) and its chain state into the partition.
func (p *partition) restore(snap Snapshotter, state []byte) error {
	handler, section, err := splitSnapshot(state)
	if err != nil {
		return err
	}
	if err := snap.Restore(handler); err != nil {
		return err
	}
	return p.chain.restore(section)
}
