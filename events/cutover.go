package events

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
)

// Cutover (切量): while the direct-connect links still run, a payment of an
// institution takes either the NetsUnion path (the sagas) or the legacy
// direct path (one debit over the old link). The rules that decide are
// versioned events on cutover.rules; the routing decision of every payment
// is an event on cutover.events keyed by TxnID, and it is the first
// decision that counts, however often the request comes back.

// Paths a payment can take.
const (
	PathNetsUnion = "netsunion"
	PathDirect    = "direct"
)

// Legacy refund methods (DOMAIN.md, "Migration and cutover"): how refunds of
// payments made over the direct link are paid, chosen per institution.
const (
	// LegacyRefundBankAdvance: the payer bank credits the customer at once
	// and the institution repays the bank later by wire.
	LegacyRefundBankAdvance = "bank_advance"
	// LegacyRefundPrefund: the institution wires funds to a designated
	// account first; the bank refunds only out of that balance.
	LegacyRefundPrefund = "prefund"
	// LegacyRefundClosed: the old refund path is closed; the institution
	// pays the customer by super online banking (超级网银).
	LegacyRefundClosed = "closed"
)

// Route clauses: which part of the rules decided a payment's path.
const (
	ClauseNoRules     = "no_rules"     // no rules published yet: NetsUnion
	ClauseUnlisted    = "unlisted"     // the institution is not in the rules: NetsUnion
	ClauseDeny        = "deny"         // payer on the deny list: direct
	ClauseAllow       = "allow"        // payer on the allow list: NetsUnion
	ClauseCohortNew   = "cohort_new"   // the new-users cohort's path
	ClauseCohortStock = "cohort_stock" // the stock-users cohort's path
	ClauseRollout     = "rollout"      // the payer's bucket against rollout_percent
	ClauseDefault     = "default"      // the institution's default path
)

// MaxRuleListLen bounds each list of one institution's rules (allow, deny,
// stock): the whole rule set travels in one record and is held by every
// intake. Larger cohorts are expressed with rollout_percent.
const MaxRuleListLen = 10_000

// CutoverRulesPublished is one version of the routing rules. Versions
// start at 1 and strictly increase; a version replaces the previous one
// as a whole (institutions it does not list route to NetsUnion).
type CutoverRulesPublished struct {
	Version      int                `json:"version"`
	Note         string             `json:"note,omitempty"`
	Institutions []InstitutionRules `json:"institutions"`
}

func (CutoverRulesPublished) EventType() string { return "cutover.rules_published" }
func (CutoverRulesPublished) EventVersion() int { return 1 }

// InstitutionRules routes the payments of one institution (channel). The
// clauses apply in this order, the first that matches decides: deny
// (direct), allow (NetsUnion), the cohort's path (new_users or
// stock_users, when set), rollout_percent (when set: the payer's bucket
// 0..99 below it takes NetsUnion, the rest direct), default_path.
//
// allow, deny and stock hold payer keys or agreement numbers; a request
// matches an entry naming either. A payer is in the stock cohort (存量,
// an agreement from the direct-connect era) when stock names it, in the
// new cohort otherwise.
type InstitutionRules struct {
	ChannelID      string   `json:"channel_id"`
	DefaultPath    string   `json:"default_path"`
	NewUsers       string   `json:"new_users,omitempty"`
	StockUsers     string   `json:"stock_users,omitempty"`
	Stock          []string `json:"stock,omitempty"`
	RolloutPercent *int     `json:"rollout_percent,omitempty"`
	Allow          []string `json:"allow,omitempty"`
	Deny           []string `json:"deny,omitempty"`
	// LegacyRefund is the method of legacy_refund requests; empty means
	// closed: no money moves without a method agreed with the bank.
	LegacyRefund string `json:"legacy_refund,omitempty"`
}

var (
	ruleChannelRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
	// A payer key (16 base32 characters) or an agreement number ("NU" and
	// 28 base32 characters), as package payerkey makes them.
	rulePayerRE = regexp.MustCompile(`^([A-Z2-7]{16}|NU[A-Z2-7]{28})$`)
)

// Validate reports every problem of the rule set, each naming the
// institution and field, so an operator can fix a rules file in one go.
func (r CutoverRulesPublished) Validate() error {
	var errs []error
	if r.Version < 1 {
		errs = append(errs, fmt.Errorf("version %d: must be 1 or more", r.Version))
	}
	seen := map[string]bool{}
	for i, in := range r.Institutions {
		where := "institutions[" + strconv.Itoa(i) + "]"
		if in.ChannelID != "" {
			where += " (" + in.ChannelID + ")"
		}
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf(where+": "+format, args...))
		}
		switch {
		case !ruleChannelRE.MatchString(in.ChannelID):
			bad("channel_id %q is not a channel ID (1-32 of A-Z a-z 0-9 _ -)", in.ChannelID)
		case seen[in.ChannelID]:
			bad("channel_id listed twice")
		}
		seen[in.ChannelID] = true
		if in.DefaultPath != PathNetsUnion && in.DefaultPath != PathDirect {
			bad("default_path %q: want %s or %s", in.DefaultPath, PathNetsUnion, PathDirect)
		}
		for _, f := range []struct{ name, value string }{{"new_users", in.NewUsers}, {"stock_users", in.StockUsers}} {
			if f.value != "" && f.value != PathNetsUnion && f.value != PathDirect {
				bad("%s %q: want %s, %s or absent", f.name, f.value, PathNetsUnion, PathDirect)
			}
		}
		if p := in.RolloutPercent; p != nil && (*p < 0 || *p > 100) {
			bad("rollout_percent %d outside 0..100", *p)
		}
		switch in.LegacyRefund {
		case "", LegacyRefundBankAdvance, LegacyRefundPrefund, LegacyRefundClosed:
		default:
			bad("legacy_refund %q: want %s, %s or %s", in.LegacyRefund, LegacyRefundBankAdvance, LegacyRefundPrefund, LegacyRefundClosed)
		}
		denied := map[string]bool{}
		for _, l := range []struct {
			name    string
			entries []string
		}{{"deny", in.Deny}, {"allow", in.Allow}, {"stock", in.Stock}} {
			if len(l.entries) > MaxRuleListLen {
				bad("%s has %d entries, at most %d", l.name, len(l.entries), MaxRuleListLen)
				continue
			}
			dup := map[string]bool{}
			for _, e := range l.entries {
				switch {
				case !rulePayerRE.MatchString(e):
					bad("%s entry %q is neither a payer key nor an agreement number", l.name, e)
				case dup[e]:
					bad("%s entry %q listed twice", l.name, e)
				case l.name == "allow" && denied[e]:
					bad("%q is on both allow and deny", e)
				}
				dup[e] = true
				if l.name == "deny" {
					denied[e] = true
				}
			}
		}
	}
	return errors.Join(errs...)
}

// RoutePayment carries a validated pay request from the intake to the
// cutover router (cutover.inbox, keyed by TxnID), with the intake's routing
// decision. The router keeps the first decision per TxnID.
type RoutePayment struct {
	Payment      StartPayment `json:"payment"`
	Path         string       `json:"path"`
	RouteVersion int          `json:"route_version"`
	Clause       string       `json:"clause"`
}

func (RoutePayment) EventType() string { return "cutover.route_payment" }
func (RoutePayment) EventVersion() int { return 1 }

// PaymentRouted records the path of a payment and the rules version and
// clause that chose it. It is the first event of TxnID on cutover.events
// and the only one: a later request for the same TxnID follows it.
type PaymentRouted struct {
	TxnID        string `json:"txn_id"`
	ChannelID    string `json:"channel_id"`
	OrderID      string `json:"order_id"`
	Path         string `json:"path"`
	RouteVersion int    `json:"route_version"`
	Clause       string `json:"clause"`
}

func (PaymentRouted) EventType() string { return "cutover.payment_routed" }
func (PaymentRouted) EventVersion() int { return 1 }
