package cutover

import (
	"fmt"

	"github.com/paycore/paycore/events"
)

// Rules is one validated version of the routing rules, indexed for Route.
// It never changes after New, so one value is safely shared by every
// goroutine. A nil *Rules stands for "no rules published yet".
type Rules struct {
	published    events.CutoverRulesPublished
	institutions map[string]*institution
}

// institution is InstitutionRules indexed for lookups.
type institution struct {
	defaultPath  string
	newUsers     string
	stockUsers   string
	rollout      int
	hasRollout   bool
	allow        set
	deny         set
	stock        set
	legacyRefund string
}

type set map[string]struct{}

func newSet(entries []string) set {
	s := make(set, len(entries))
	for _, e := range entries {
		s[e] = struct{}{}
	}
	return s
}

// names reports whether the set lists the payer key or the agreement
// number.
func (s set) names(payerKey, agreementNo string) bool {
	if _, ok := s[payerKey]; ok {
		return true
	}
	_, ok := s[agreementNo]
	return ok
}

// New validates p (events.CutoverRulesPublished.Validate: every problem,
// each naming its institution and field) and indexes it.
func New(p events.CutoverRulesPublished) (*Rules, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("cutover rules version %d: %w", p.Version, err)
	}
	r := &Rules{published: p, institutions: make(map[string]*institution, len(p.Institutions))}
	for _, in := range p.Institutions {
		x := &institution{
			defaultPath:  in.DefaultPath,
			newUsers:     in.NewUsers,
			stockUsers:   in.StockUsers,
			allow:        newSet(in.Allow),
			deny:         newSet(in.Deny),
			stock:        newSet(in.Stock),
			legacyRefund: in.LegacyRefund,
		}
		if in.RolloutPercent != nil {
			x.rollout, x.hasRollout = *in.RolloutPercent, true
		}
		if x.legacyRefund == "" {
			x.legacyRefund = events.LegacyRefundClosed
		}
		r.institutions[in.ChannelID] = x
	}
	return r, nil
}

// Version is the rules version; 0 for nil (no rules yet).
func (r *Rules) Version() int {
	if r == nil {
		return 0
	}
	return r.published.Version
}

// Published returns the rules as they were published.
func (r *Rules) Published() events.CutoverRulesPublished { return r.published }

// LegacyRefundMethod returns channelID's legacy refund method: the one its
// rules name, else closed (also with no rules at all). No money moves
// without a method agreed with the bank.
func (r *Rules) LegacyRefundMethod(channelID string) string {
	if r == nil {
		return events.LegacyRefundClosed
	}
	in, ok := r.institutions[channelID]
	if !ok {
		return events.LegacyRefundClosed
	}
	return in.legacyRefund
}
