// Package banklink injects the faults of a real bank link into the
// simulated banks: latency, requests that never arrive (timeouts), replies
// that get lost, and status queries answered "unknown". These are what make
// the presumed statuses happen, so reconciliation and error handling have
// real work in tests, demos and load tests.
//
// Every decision is a pure function of (seed, message ID, fault kind): a
// redelivered or replayed command meets the same fate, so faults never
// break determinism, and a test can reproduce any run from its seed.
package banklink

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"
)

// Config sets fault rates in [0, 1] and latency bounds.
type Config struct {
	Seed uint64
	// TimeoutRate: share of requests (debits, credits, reversals) that
	// never reach the bank.
	TimeoutRate float64
	// LostReplyRate: share of executed requests whose reply is lost.
	LostReplyRate float64
	// QueryUnknownRate: share of status queries answered "unknown".
	QueryUnknownRate float64
	// LatencyMin and LatencyMax bound the delay added to every reply.
	LatencyMin, LatencyMax time.Duration
}

// Validate reports rates outside [0, 1] or inverted latency bounds.
func (c Config) Validate() error {
	for name, r := range map[string]float64{"timeout": c.TimeoutRate, "lost reply": c.LostReplyRate, "query unknown": c.QueryUnknownRate} {
		if r < 0 || r > 1 {
			return fmt.Errorf("banklink: %s rate %v outside [0, 1]", name, r)
		}
	}
	if c.LatencyMin < 0 || c.LatencyMax < c.LatencyMin {
		return fmt.Errorf("banklink: latency bounds [%v, %v] invalid", c.LatencyMin, c.LatencyMax)
	}
	return nil
}

// Link decides the fate of each message crossing the link. The zero value
// injects nothing. Safe for concurrent use (it is immutable).
type Link struct{ cfg Config }

// New returns a Link for cfg.
func New(cfg Config) (Link, error) {
	if err := cfg.Validate(); err != nil {
		return Link{}, err
	}
	return Link{cfg: cfg}, nil
}

// Config returns the link's settings.
func (l Link) Config() Config { return l.cfg }

// Dropped reports whether request id never reaches the bank.
func (l Link) Dropped(id string) bool { return l.roll(id, "timeout") < l.cfg.TimeoutRate }

// ReplyLost reports whether the reply to request id is lost.
func (l Link) ReplyLost(id string) bool { return l.roll(id, "lost-reply") < l.cfg.LostReplyRate }

// QueryUnknown reports whether status query id is answered "unknown".
func (l Link) QueryUnknown(id string) bool {
	return l.roll(id, "query-unknown") < l.cfg.QueryUnknownRate
}

// Latency returns the delay of the reply to id.
func (l Link) Latency(id string) time.Duration {
	span := l.cfg.LatencyMax - l.cfg.LatencyMin
	if span <= 0 {
		return l.cfg.LatencyMin
	}
	return l.cfg.LatencyMin + time.Duration(l.roll(id, "latency")*float64(span))
}

// roll maps (seed, id, kind) uniformly onto [0, 1).
func (l Link) roll(id, kind string) float64 {
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], l.cfg.Seed)
	h := sha256.New()
	h.Write(seed[:])
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(id))
	sum := h.Sum(nil)
	return float64(binary.BigEndian.Uint64(sum[:8])>>11) / float64(uint64(1)<<53)
}
