// Package chain makes each aggregate's events in paycore's event logs a
// tamper-evident chain, and verifies it.
//
// Every event the processor runtime appends to an event log carries in
// Envelope.Chain the value
//
//	chain(n) = HMAC-SHA256(key, chain(n-1) || canonical(n))
//
// where chain(n-1) is the chain value of the aggregate's previous event in
// the same log partition (32 zero bytes before its first chained event)
// and canonical(n) is the event encoded by events.Marshal with Chain left
// empty: the stored record without its trailing chain member, byte for
// byte. Changing, inserting, removing or reordering an event therefore
// breaks the link of that event or of the aggregate's next one.
//
// The MAC is keyed, so write access to Kafka is not enough to forge a
// chain: a forger would need the key too (PAYCORE_CHAIN_KEY_FILE). A plain
// hash chain would need its head values published somewhere the forger
// cannot write to protect anything, because whoever can append to the log
// can recompute an unkeyed chain over their own edits.
package chain

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"

	"github.com/paycore/paycore/events"
)

// Value is a chain value: the link of one event.
type Value [sha256.Size]byte

// String returns the value as Envelope.Chain spells it.
func (v Value) String() string { return hex.EncodeToString(v[:]) }

// Parse reads an Envelope.Chain. ok is false when s is empty (an event
// written before chaining existed).
func Parse(s string) (v Value, ok bool, err error) {
	if s == "" {
		return Value{}, false, nil
	}
	if len(s) != 2*len(v) {
		return Value{}, false, fmt.Errorf("chain: %d characters, want %d", len(s), 2*len(v))
	}
	if _, err := hex.Decode(v[:], []byte(s)); err != nil {
		return Value{}, false, fmt.Errorf("chain: %w", err)
	}
	return v, true, nil
}

// DevKey is the public development key used when PAYCORE_CHAIN_KEY_FILE
// is not set. A log chained with it proves nothing against anyone who has
// read this source; it only keeps development and tests close to
// production.
const DevKey = "paycore-development-only-chain-key"

// MinKeyBytes is the shortest key LoadKey accepts: HMAC-SHA256's own
// security level.
const MinKeyBytes = 32

// LoadKey reads a key file: its bytes, less one trailing line break, are
// the key. Generate one with, for example, `openssl rand -hex 32`.
func LoadKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("chain key: %w", err)
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	if len(b) < MinKeyBytes {
		return nil, fmt.Errorf("chain key %s: %d bytes, want at least %d", path, len(b), MinKeyBytes)
	}
	return b, nil
}

// Chainer computes chain values with one key. It reuses its MAC state, so
// it is not safe for concurrent use: give each goroutine its own.
type Chainer struct {
	mac hash.Hash
	sum []byte
}

// New returns a Chainer for key; an empty key is refused.
func New(key []byte) (*Chainer, error) {
	if len(key) == 0 {
		return nil, errors.New("chain: empty key")
	}
	return &Chainer{mac: hmac.New(sha256.New, key), sum: make([]byte, 0, sha256.Size)}, nil
}

// Link returns the chain value of an event whose canonical encoding is
// canonical and whose aggregate's previous chain value is prev.
func (c *Chainer) Link(prev Value, canonical []byte) Value {
	c.mac.Reset()
	c.mac.Write(prev[:])
	c.mac.Write(canonical)
	var v Value
	copy(v[:], c.mac.Sum(c.sum[:0]))
	return v
}

// Canonical returns the bytes an event's link covers: env encoded by
// events.Marshal with Chain empty. Decoding and re-encoding an envelope is
// byte-stable, so a verifier recomputes exactly what the writer hashed.
func Canonical(env events.Envelope) ([]byte, error) {
	env.Chain = ""
	return events.Marshal(env)
}

// Seal links env to prev: it returns env's wire encoding with Chain set,
// and its chain value.
func (c *Chainer) Seal(prev Value, env events.Envelope) ([]byte, Value, error) {
	canonical, err := Canonical(env)
	if err != nil {
		return nil, Value{}, err
	}
	v := c.Link(prev, canonical)
	return withChain(canonical, v), v, nil
}

// withChain appends the chain member to a canonical encoding. Chain is the
// envelope's last member, so this is what events.Marshal gives for the
// envelope with Chain set, one encoding fewer on the hot path (a test
// holds the two equal).
func withChain(canonical []byte, v Value) []byte {
	out := make([]byte, 0, len(canonical)-1+chainMemberSize)
	out = append(out, canonical[:len(canonical)-1]...) // drop the closing brace
	out = append(out, chainMember...)
	out = hex.AppendEncode(out, v[:])
	return append(out, '"', '}')
}

// chainMember is how the chain value ends an encoded envelope.
const (
	chainMember     = `,"chain":"`
	chainMemberSize = len(chainMember) + 2*sha256.Size + len(`"}`)
)

// CheckRecord recomputes the link of record, an event as stored in the
// log, from prev. The link covers the record's bytes exactly as written:
// its canonical encoding is the record without its trailing chain member,
// which is what Seal hashed. chained is false for a record without a
// chain value at its end (written before chaining existed, or not by the
// runtime); otherwise ok says whether the value is the one the key gives,
// and v is that value. Taking the bytes as they are, instead of decoding
// and re-encoding them, makes a rebuild pay one MAC per event and no
// encoding, and makes any re-encoding of a record, even a harmless one, a
// break.
func (c *Chainer) CheckRecord(prev Value, record []byte) (v Value, chained, ok bool) {
	n := len(record)
	if n < chainMemberSize+1 || string(record[n-chainMemberSize:n-chainMemberSize+len(chainMember)]) != chainMember || string(record[n-2:]) != `"}` {
		return Value{}, false, false
	}
	if _, err := hex.Decode(v[:], record[n-chainMemberSize+len(chainMember):n-2]); err != nil {
		return Value{}, false, false
	}
	c.mac.Reset()
	c.mac.Write(prev[:])
	c.mac.Write(record[:n-chainMemberSize])
	c.mac.Write([]byte{'}'})
	return v, true, hmac.Equal(v[:], c.mac.Sum(c.sum[:0]))
}

// AggregateKey is the fixed-size key chain state is kept under: the first
// 16 bytes of SHA-256 of the aggregate ID. A million aggregates then cost a
// pointer-free map the garbage collector never scans, and colliding two
// aggregates on purpose would take about 2^64 attempts.
type AggregateKey [16]byte

// KeyOf returns aggregateID's AggregateKey.
func KeyOf(aggregateID string) AggregateKey {
	sum := sha256.Sum256([]byte(aggregateID))
	return AggregateKey(sum[:16])
}
