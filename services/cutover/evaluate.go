package cutover

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/paycore/paycore/events"
)

// Request is what routing looks at: the institution and the payer, by
// payer key and agreement number.
type Request struct {
	ChannelID   string
	PayerKey    string
	AgreementNo string
}

// Decision is where a payment goes, under which rules version, and which
// clause said so (events.Clause*).
type Decision struct {
	Path    string
	Version int
	Clause  string
}

// Route decides req's path; see the package doc for the clause order. It
// is pure: the same rules and request always give the same decision.
func (r *Rules) Route(req Request) Decision {
	if r == nil {
		return Decision{Path: events.PathNetsUnion, Clause: events.ClauseNoRules}
	}
	decide := func(path, clause string) Decision {
		return Decision{Path: path, Version: r.published.Version, Clause: clause}
	}
	in, ok := r.institutions[req.ChannelID]
	if !ok {
		return decide(events.PathNetsUnion, events.ClauseUnlisted)
	}
	switch {
	case in.deny.names(req.PayerKey, req.AgreementNo):
		return decide(events.PathDirect, events.ClauseDeny)
	case in.allow.names(req.PayerKey, req.AgreementNo):
		return decide(events.PathNetsUnion, events.ClauseAllow)
	}
	if in.stock.names(req.PayerKey, req.AgreementNo) {
		if in.stockUsers != "" {
			return decide(in.stockUsers, events.ClauseCohortStock)
		}
	} else if in.newUsers != "" {
		return decide(in.newUsers, events.ClauseCohortNew)
	}
	if in.hasRollout {
		if Bucket(req.PayerKey) < in.rollout {
			return decide(events.PathNetsUnion, events.ClauseRollout)
		}
		return decide(events.PathDirect, events.ClauseRollout)
	}
	return decide(in.defaultPath, events.ClauseDefault)
}

// Bucket places a payer key in 0..99 for percentage rollouts. It hashes
// the key alone, not the rules version or the institution, so a payer's
// bucket never changes: raising the percentage only moves payers from the
// direct path to NetsUnion, never back.
func Bucket(payerKey string) int {
	sum := sha256.Sum256([]byte("cutover-bucket\x00" + payerKey))
	return int(binary.BigEndian.Uint64(sum[:8]) % 100)
}
