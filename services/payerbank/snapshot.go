package payerbank

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

var _ processor.Snapshotter = (*Handler)(nil)

// snapshotVersion is the version of the snapshot format below. A change
// of the format that an older Restore could misread takes a new version.
const (
	snapshotVersion = 1
	snapshotService = "payerbank"
)

// snapshotV1 is the saved state of one partition. Every map of the state
// is a slice sorted by its key, so the same state always encodes to the
// same bytes. Replies the bank re-sends are kept as the events.Marshal
// encoding of their event, so a re-sent reply is byte for byte the
// original. Times are RFC 3339 with nanoseconds in UTC.
type snapshotV1 struct {
	Version      int               `json:"version"`
	Service      string            `json:"service"`
	Sequences    []sequenceSnap    `json:"sequences"`
	Accounts     []accountSnap     `json:"accounts"`
	Signings     []signingSnap     `json:"signings"`
	Agreements   []agreementSnap   `json:"agreements"`
	Terminations []terminationSnap `json:"terminations"`
	Legs         []legSnap         `json:"legs"`
	// Credits are the refund credits (cmd_credit_payer.go); omitted when
	// there are none, so snapshots without refunds encode as before, and a
	// build without refunds refuses one with (unknown member).
	Credits []creditSnap `json:"credits,omitempty"`
	// Direct is the legacy direct link (snapshot_direct.go), omitted when
	// empty like Credits.
	Direct *directSnap `json:"direct,omitempty"`
}

type sequenceSnap struct {
	PayerKey string `json:"payer_key"`
	Sequence uint64 `json:"sequence"`
}

type accountSnap struct {
	PayerKey         string       `json:"payer_key"`
	Opened           openedSnap   `json:"opened"`
	Balance          events.Money `json:"balance"`
	ActiveAgreements []activeSnap `json:"active_agreements"`
}

// openedSnap is the AccountOpened the account was opened with.
type openedSnap struct {
	PayerKey       string       `json:"payer_key"`
	Account        string       `json:"account"`
	HolderName     string       `json:"holder_name"`
	IDNumber       string       `json:"id_number"`
	Phone          string       `json:"phone"`
	OpeningBalance events.Money `json:"opening_balance"`
	// IDType is absent from snapshots taken before payer.account_opened v2,
	// when every account was held under a resident identity card.
	IDType string `json:"id_type,omitempty"`
}

type activeSnap struct {
	ChannelID   string `json:"channel_id"`
	AgreementNo string `json:"agreement_no"`
}

type signingSnap struct {
	ID              string          `json:"id"`
	PayerKey        string          `json:"payer_key"`
	ChannelID       string          `json:"channel_id"`
	PerPaymentLimit *events.Money   `json:"per_payment_limit,omitempty"`
	DailyLimit      *events.Money   `json:"daily_limit,omitempty"`
	CodeExpiresAt   string          `json:"code_expires_at,omitempty"`
	Status          string          `json:"status"`
	FailedCount     int             `json:"failed_count"`
	VerifyReply     json.RawMessage `json:"verify_reply"`
	FinalReply      json.RawMessage `json:"final_reply,omitempty"`
	Attempts        []attemptSnap   `json:"attempts"`
}

type attemptSnap struct {
	Attempt string          `json:"attempt"`
	Reply   json.RawMessage `json:"reply"`
}

type agreementSnap struct {
	No              string       `json:"no"`
	SigningID       string       `json:"signing_id"`
	ChannelID       string       `json:"channel_id"`
	PayerKey        string       `json:"payer_key"`
	PerPaymentLimit events.Money `json:"per_payment_limit"`
	DailyLimit      events.Money `json:"daily_limit"`
	Status          string       `json:"status"`
	Usage           []usageSnap  `json:"usage"`
	// ImportReply is the payer.agreement_imported of an imported agreement
	// (SigningID empty); absent for a signed one, so snapshots without
	// imports encode as before.
	ImportReply json.RawMessage `json:"import_reply,omitempty"`
}

type usageSnap struct {
	Day    string       `json:"day"`
	Amount events.Money `json:"amount"`
}

type terminationSnap struct {
	RequestID   string `json:"request_id"`
	BodyHash    string `json:"body_hash"`
	AgreementNo string `json:"agreement_no"`
	ReasonCode  string `json:"reason_code,omitempty"`
	DecidedAt   string `json:"decided_at"`
}

type legSnap struct {
	TxnID         string          `json:"txn_id"`
	PayerKey      string          `json:"payer_key"`
	AgreementNo   string          `json:"agreement_no,omitempty"`
	Amount        *events.Money   `json:"amount,omitempty"`
	Day           string          `json:"day,omitempty"`
	Status        string          `json:"status"`
	ReasonCode    string          `json:"reason_code,omitempty"`
	DebitReply    json.RawMessage `json:"debit_reply"`
	ReversalReply json.RawMessage `json:"reversal_reply,omitempty"`
}

// Snapshot encodes the partition's state; see processor.Snapshotter.
func (h *Handler) Snapshot() ([]byte, error) {
	st := h.st
	s := snapshotV1{
		Version:      snapshotVersion,
		Service:      snapshotService,
		Sequences:    []sequenceSnap{},
		Accounts:     []accountSnap{},
		Signings:     []signingSnap{},
		Agreements:   []agreementSnap{},
		Terminations: []terminationSnap{},
		Legs:         []legSnap{},
	}
	for _, k := range sortedKeys(st.seq) {
		s.Sequences = append(s.Sequences, sequenceSnap{PayerKey: k, Sequence: st.seq[k]})
	}
	for _, k := range sortedKeys(st.accounts) {
		a := st.accounts[k]
		as := accountSnap{
			PayerKey: k,
			Opened: openedSnap{
				PayerKey:       a.opened.PayerKey,
				Account:        a.opened.Account,
				HolderName:     a.opened.Holder.Name,
				IDNumber:       a.opened.Holder.IDNumber,
				Phone:          a.opened.Holder.Phone,
				OpeningBalance: a.opened.OpeningBalance,
				IDType:         a.opened.Holder.IDType,
			},
			Balance:          a.balance,
			ActiveAgreements: []activeSnap{},
		}
		for _, ch := range sortedKeys(a.active) {
			as.ActiveAgreements = append(as.ActiveAgreements, activeSnap{ChannelID: ch, AgreementNo: a.active[ch]})
		}
		s.Accounts = append(s.Accounts, as)
	}
	for _, id := range sortedKeys(st.signings) {
		sg := st.signings[id]
		status, err := signingStatusName(sg.status)
		if err != nil {
			return nil, fmt.Errorf("payerbank: snapshot of signing %s: %w", id, err)
		}
		ss := signingSnap{
			ID:              sg.id,
			PayerKey:        sg.payerKey,
			ChannelID:       sg.channelID,
			PerPaymentLimit: optMoney(sg.perPaymentLimit),
			DailyLimit:      optMoney(sg.dailyLimit),
			CodeExpiresAt:   formatTime(sg.codeExpiresAt),
			Status:          status,
			FailedCount:     sg.failedCount,
			Attempts:        []attemptSnap{},
		}
		if ss.VerifyReply, err = encodeReply(sg.verifyReply); err != nil {
			return nil, fmt.Errorf("payerbank: snapshot of signing %s: %w", id, err)
		}
		if ss.FinalReply, err = encodeReply(sg.finalReply); err != nil {
			return nil, fmt.Errorf("payerbank: snapshot of signing %s: %w", id, err)
		}
		for _, at := range sortedKeys(sg.attempts) {
			r, err := encodeReply(sg.attempts[at])
			if err != nil {
				return nil, fmt.Errorf("payerbank: snapshot of signing %s attempt %q: %w", id, at, err)
			}
			ss.Attempts = append(ss.Attempts, attemptSnap{Attempt: at, Reply: r})
		}
		s.Signings = append(s.Signings, ss)
	}
	for _, no := range sortedKeys(st.agreements) {
		a := st.agreements[no]
		as := agreementSnap{
			No:              a.no,
			SigningID:       a.signingID,
			ChannelID:       a.channelID,
			PayerKey:        a.payerKey,
			PerPaymentLimit: a.perPaymentLimit,
			DailyLimit:      a.dailyLimit,
			Status:          a.status.String(),
			Usage:           []usageSnap{},
		}
		for _, day := range sortedKeys(a.usage) {
			as.Usage = append(as.Usage, usageSnap{Day: day, Amount: a.usage[day]})
		}
		var err error
		if as.ImportReply, err = encodeReply(a.importReply); err != nil {
			return nil, fmt.Errorf("payerbank: snapshot of agreement %s: %w", no, err)
		}
		s.Agreements = append(s.Agreements, as)
	}
	for _, id := range sortedKeys(st.terminations) {
		t := st.terminations[id]
		s.Terminations = append(s.Terminations, terminationSnap{
			RequestID:   id,
			BodyHash:    t.bodyHash,
			AgreementNo: t.agreementNo,
			ReasonCode:  t.reasonCode,
			DecidedAt:   formatTime(t.decidedAt),
		})
	}
	for _, id := range sortedKeys(st.legs) {
		l := st.legs[id]
		status, err := legStatusName(l.status)
		if err != nil {
			return nil, fmt.Errorf("payerbank: snapshot of leg %s: %w", id, err)
		}
		ls := legSnap{
			TxnID:       l.txnID,
			PayerKey:    l.payerKey,
			AgreementNo: l.agreementNo,
			Amount:      optMoney(l.amount),
			Day:         l.day,
			Status:      status,
			ReasonCode:  l.reasonCode,
		}
		if ls.DebitReply, err = encodeReply(l.debitReply); err != nil {
			return nil, fmt.Errorf("payerbank: snapshot of leg %s: %w", id, err)
		}
		if ls.ReversalReply, err = encodeReply(l.reversalReply); err != nil {
			return nil, fmt.Errorf("payerbank: snapshot of leg %s: %w", id, err)
		}
		s.Legs = append(s.Legs, ls)
	}
	var err error
	if s.Credits, err = snapCredits(st); err != nil {
		return nil, err
	}
	if s.Direct, err = snapDirect(&st.direct); err != nil {
		return nil, err
	}
	b, err := processor.EncodeSnapshot(s)
	if err != nil {
		return nil, fmt.Errorf("payerbank: encoding snapshot: %w", err)
	}
	return b, nil
}

// Restore replaces the state of a fresh handler (nothing applied or
// restored yet) with snapshot; see processor.Snapshotter. It fails, and
// leaves the handler unchanged, for a handler that already has state, an
// unknown version, malformed input, or a state the fold could not have
// built (a dangling reference, an unknown status, ...).
func (h *Handler) Restore(snapshot []byte) error {
	if !h.st.empty() {
		return errors.New("payerbank: restore into a handler that already has state")
	}
	var head struct {
		Version int    `json:"version"`
		Service string `json:"service"`
	}
	if err := json.Unmarshal(snapshot, &head); err != nil {
		return fmt.Errorf("payerbank: malformed snapshot: %w", err)
	}
	if head.Version != snapshotVersion {
		return fmt.Errorf("payerbank: unknown snapshot version %d (this build reads version %d)", head.Version, snapshotVersion)
	}
	if head.Service != snapshotService {
		return fmt.Errorf("payerbank: snapshot is of service %q, not %q", head.Service, snapshotService)
	}
	var s snapshotV1
	if err := processor.DecodeSnapshot(snapshot, &s); err != nil {
		return fmt.Errorf("payerbank: malformed snapshot: %w", err)
	}
	st, err := h.stateFrom(s)
	if err != nil {
		return fmt.Errorf("payerbank: invalid snapshot: %w", err)
	}
	h.st = st
	return nil
}

// empty reports whether nothing was folded into st.
func (st *state) empty() bool {
	return len(st.seq) == 0 && len(st.accounts) == 0 && len(st.signings) == 0 &&
		len(st.agreements) == 0 && len(st.terminations) == 0 && len(st.legs) == 0 && len(st.credits) == 0
}

// stateFrom rebuilds the state s describes, checking it as it goes.
func (h *Handler) stateFrom(s snapshotV1) (*state, error) {
	st := newState()
	for _, q := range s.Sequences {
		if q.PayerKey == "" || q.Sequence == 0 {
			return nil, fmt.Errorf("sequence %d of payer key %q", q.Sequence, q.PayerKey)
		}
		if _, dup := st.seq[q.PayerKey]; dup {
			return nil, fmt.Errorf("payer key %s has two sequences", q.PayerKey)
		}
		st.seq[q.PayerKey] = q.Sequence
	}
	hasSeq := func(what, payerKey string) error {
		if st.seq[payerKey] == 0 {
			return fmt.Errorf("%s: payer key %q has no events", what, payerKey)
		}
		return nil
	}

	for _, as := range s.Accounts {
		what := "account " + as.PayerKey
		if err := hasSeq(what, as.PayerKey); err != nil {
			return nil, err
		}
		if _, dup := st.accounts[as.PayerKey]; dup {
			return nil, fmt.Errorf("%s appears twice", what)
		}
		o := as.Opened
		if err := needMoney(what+" opening balance", o.OpeningBalance); err != nil {
			return nil, err
		}
		if err := needMoney(what+" balance", as.Balance); err != nil {
			return nil, err
		}
		if as.Balance.IsNegative() || o.OpeningBalance.IsNegative() {
			return nil, fmt.Errorf("%s: negative balance", what)
		}
		if o.IDType == "" {
			o.IDType = events.IDTypeResidentID
		}
		a := &account{
			opened: events.AccountOpened{
				PayerKey:       o.PayerKey,
				Account:        o.Account,
				Holder:         events.AccountHolder{Name: o.HolderName, IDType: o.IDType, IDNumber: o.IDNumber, Phone: o.Phone},
				OpeningBalance: o.OpeningBalance,
			},
			balance: as.Balance,
			active:  map[string]string{},
		}
		for _, ac := range as.ActiveAgreements {
			if ac.ChannelID == "" || ac.AgreementNo == "" {
				return nil, fmt.Errorf("%s: active agreement %q of channel %q", what, ac.AgreementNo, ac.ChannelID)
			}
			if _, dup := a.active[ac.ChannelID]; dup {
				return nil, fmt.Errorf("%s: channel %s has two active agreements", what, ac.ChannelID)
			}
			a.active[ac.ChannelID] = ac.AgreementNo
		}
		st.accounts[as.PayerKey] = a
	}

	for _, ss := range s.Signings {
		what := "signing " + ss.ID
		if ss.ID == "" {
			return nil, errors.New("signing without ID")
		}
		if err := hasSeq(what, ss.PayerKey); err != nil {
			return nil, err
		}
		if _, dup := st.signings[ss.ID]; dup {
			return nil, fmt.Errorf("%s appears twice", what)
		}
		status, err := parseSigningStatus(ss.Status)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		sg := &signing{
			id:          ss.ID,
			payerKey:    ss.PayerKey,
			channelID:   ss.ChannelID,
			status:      status,
			failedCount: ss.FailedCount,
		}
		if sg.perPaymentLimit, err = fromOptMoney(what+" per-payment limit", ss.PerPaymentLimit); err != nil {
			return nil, err
		}
		if sg.dailyLimit, err = fromOptMoney(what+" daily limit", ss.DailyLimit); err != nil {
			return nil, err
		}
		if sg.codeExpiresAt, err = parseTime(what+" code expiry", ss.CodeExpiresAt, true); err != nil {
			return nil, err
		}
		if sg.verifyReply, err = h.decodeReply(what+" verify reply", ss.VerifyReply, false,
			events.SigningVerified{}, events.SigningRefused{}); err != nil {
			return nil, err
		}
		if sg.finalReply, err = h.decodeReply(what+" final reply", ss.FinalReply, status == signingPending,
			events.AgreementSigned{}, events.SigningRefused{}); err != nil {
			return nil, err
		}
		if status == signingPending && sg.finalReply.ID != "" {
			return nil, fmt.Errorf("%s: pending with a final reply", what)
		}
		if ss.FailedCount < 0 {
			return nil, fmt.Errorf("%s: failed count %d", what, ss.FailedCount)
		}
		// A signing refused by the identity check never had a code, so it
		// has no limits, expiry or attempts; every other one has them.
		verified := sg.verifyReply.Type == (events.SigningVerified{}).EventType()
		if verified {
			if !sg.perPaymentLimit.Currency().IsValid() || !sg.dailyLimit.Currency().IsValid() || sg.codeExpiresAt.IsZero() || ss.ChannelID == "" {
				return nil, fmt.Errorf("%s: verified without limits, expiry or channel", what)
			}
			sg.attempts = map[string]events.Envelope{}
		} else if status != signingRefused || len(ss.Attempts) != 0 {
			return nil, fmt.Errorf("%s: refused by the identity check, yet %s with %d attempts", what, ss.Status, len(ss.Attempts))
		}
		for _, at := range ss.Attempts {
			if _, dup := sg.attempts[at.Attempt]; dup {
				return nil, fmt.Errorf("%s: attempt %q appears twice", what, at.Attempt)
			}
			r, err := h.decodeReply(fmt.Sprintf("%s attempt %q", what, at.Attempt), at.Reply, false, events.SMSCodeRejected{})
			if err != nil {
				return nil, err
			}
			sg.attempts[at.Attempt] = r
		}
		st.signings[ss.ID] = sg
	}

	for _, as := range s.Agreements {
		what := "agreement " + as.No
		if as.No == "" {
			return nil, errors.New("agreement without number")
		}
		if _, dup := st.agreements[as.No]; dup {
			return nil, fmt.Errorf("%s appears twice", what)
		}
		acct, ok := st.accounts[as.PayerKey]
		if !ok {
			return nil, fmt.Errorf("%s: no account %q", what, as.PayerKey)
		}
		// An imported agreement has no signing; restoreImport checks it.
		imported := as.SigningID == "" && len(as.ImportReply) != 0
		if !imported {
			if sg, ok := st.signings[as.SigningID]; !ok || sg.status != signingSigned || sg.payerKey != as.PayerKey {
				return nil, fmt.Errorf("%s: signing %q did not sign it", what, as.SigningID)
			}
			if len(as.ImportReply) != 0 {
				return nil, fmt.Errorf("%s: signed, yet has an import reply", what)
			}
		}
		if err := needMoney(what+" per-payment limit", as.PerPaymentLimit); err != nil {
			return nil, err
		}
		if err := needMoney(what+" daily limit", as.DailyLimit); err != nil {
			return nil, err
		}
		a := &agreement{
			no:              as.No,
			signingID:       as.SigningID,
			channelID:       as.ChannelID,
			payerKey:        as.PayerKey,
			perPaymentLimit: as.PerPaymentLimit,
			dailyLimit:      as.DailyLimit,
			usage:           map[string]events.Money{},
		}
		if imported {
			if err := h.restoreImport(what, a, as.ImportReply); err != nil {
				return nil, err
			}
		}
		switch as.Status {
		case AgreementActive.String():
			a.status = AgreementActive
			if acct.active[as.ChannelID] != as.No {
				return nil, fmt.Errorf("%s: active, but not channel %s's active agreement on its account", what, as.ChannelID)
			}
		case AgreementTerminated.String():
			a.status = AgreementTerminated
		default:
			return nil, fmt.Errorf("%s: unknown status %q", what, as.Status)
		}
		for _, u := range as.Usage {
			if err := checkDay(what+" usage", u.Day); err != nil {
				return nil, err
			}
			if _, dup := a.usage[u.Day]; dup {
				return nil, fmt.Errorf("%s: day %s appears twice", what, u.Day)
			}
			if err := needMoney(what+" usage on "+u.Day, u.Amount); err != nil {
				return nil, err
			}
			if u.Amount.IsNegative() {
				return nil, fmt.Errorf("%s: negative usage on %s", what, u.Day)
			}
			a.usage[u.Day] = u.Amount
		}
		st.agreements[as.No] = a
	}
	for key, acct := range st.accounts {
		for ch, no := range acct.active {
			if a, ok := st.agreements[no]; !ok || a.status != AgreementActive || a.channelID != ch || a.payerKey != key {
				return nil, fmt.Errorf("account %s: channel %s's active agreement %s is not an active agreement of that channel and account", key, ch, no)
			}
		}
	}

	for _, ts := range s.Terminations {
		what := "termination " + ts.RequestID
		if ts.RequestID == "" {
			return nil, errors.New("termination without request ID")
		}
		if _, dup := st.terminations[ts.RequestID]; dup {
			return nil, fmt.Errorf("%s appears twice", what)
		}
		decided, err := parseTime(what+" decision time", ts.DecidedAt, false)
		if err != nil {
			return nil, err
		}
		st.terminations[ts.RequestID] = &termination{
			bodyHash:    ts.BodyHash,
			agreementNo: ts.AgreementNo,
			reasonCode:  ts.ReasonCode,
			decidedAt:   decided,
		}
	}

	for _, ls := range s.Legs {
		what := "leg " + ls.TxnID
		if ls.TxnID == "" {
			return nil, errors.New("leg without transaction ID")
		}
		if err := hasSeq(what, ls.PayerKey); err != nil {
			return nil, err
		}
		if _, dup := st.legs[ls.TxnID]; dup {
			return nil, fmt.Errorf("%s appears twice", what)
		}
		status, err := parseLegStatus(ls.Status)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		l := &payerLeg{
			txnID:       ls.TxnID,
			payerKey:    ls.PayerKey,
			agreementNo: ls.AgreementNo,
			day:         ls.Day,
			status:      status,
			reasonCode:  ls.ReasonCode,
		}
		if l.amount, err = fromOptMoney(what+" amount", ls.Amount); err != nil {
			return nil, err
		}
		if status == legRefused {
			if l.debitReply, err = h.decodeReply(what+" debit reply", ls.DebitReply, false, events.PayerDebitRefused{}); err != nil {
				return nil, err
			}
			if len(ls.ReversalReply) != 0 {
				return nil, fmt.Errorf("%s: refused with a reversal reply", what)
			}
		} else {
			if _, ok := st.accounts[ls.PayerKey]; !ok {
				return nil, fmt.Errorf("%s: debited from missing account %q", what, ls.PayerKey)
			}
			if a, ok := st.agreements[ls.AgreementNo]; !ok || a.payerKey != ls.PayerKey {
				return nil, fmt.Errorf("%s: debited under missing agreement %q", what, ls.AgreementNo)
			}
			if !l.amount.Currency().IsValid() || !l.amount.IsPositive() {
				return nil, fmt.Errorf("%s: debited without a positive amount", what)
			}
			if err := checkDay(what+" day", ls.Day); err != nil {
				return nil, err
			}
			if l.debitReply, err = h.decodeReply(what+" debit reply", ls.DebitReply, false, events.PayerDebited{}); err != nil {
				return nil, err
			}
			if l.reversalReply, err = h.decodeReply(what+" reversal reply", ls.ReversalReply, status == legDone, events.PayerDebitReversed{}); err != nil {
				return nil, err
			}
			if status == legDone && l.reversalReply.ID != "" {
				return nil, fmt.Errorf("%s: not reversed, yet has a reversal reply", what)
			}
		}
		st.legs[ls.TxnID] = l
	}
	if err := h.restoreCredits(st, s.Credits); err != nil {
		return nil, err
	}
	if err := h.restoreDirect(st, s.Direct); err != nil {
		return nil, err
	}
	return st, nil
}

func signingStatusName(s signingStatus) (string, error) {
	switch s {
	case signingPending:
		return "pending", nil
	case signingSigned:
		return "signed", nil
	case signingRefused:
		return "refused", nil
	}
	return "", fmt.Errorf("unset signing status %d", s)
}

func parseSigningStatus(name string) (signingStatus, error) {
	for _, s := range []signingStatus{signingPending, signingSigned, signingRefused} {
		if n, _ := signingStatusName(s); n == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("unknown signing status %q", name)
}

func legStatusName(s legStatus) (string, error) {
	switch s {
	case legDone, legRefused, legReversed:
		return s.wire(), nil
	}
	return "", fmt.Errorf("unset leg status %d", s)
}

func parseLegStatus(name string) (legStatus, error) {
	for _, s := range []legStatus{legDone, legRefused, legReversed} {
		if s.wire() == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("unknown leg status %q", name)
}

// encodeReply returns the wire encoding of a stored reply event, and nil
// for none (the zero envelope).
func encodeReply(env events.Envelope) (json.RawMessage, error) {
	if env.ID == "" {
		return nil, nil
	}
	return events.Marshal(env)
}

// decodeReply decodes a stored reply event and checks it is one of the
// types in want (and, unless optional, that there is one). Its payload
// must decode with the handler's registry: the bank re-sends it as is.
func (h *Handler) decodeReply(what string, raw json.RawMessage, optional bool, want ...events.Payload) (events.Envelope, error) {
	if len(raw) == 0 || string(raw) == "null" {
		if optional {
			return events.Envelope{}, nil
		}
		return events.Envelope{}, fmt.Errorf("%s is missing", what)
	}
	env, err := events.Unmarshal(raw)
	if err != nil {
		return events.Envelope{}, fmt.Errorf("%s: %w", what, err)
	}
	if _, err := h.reg.Decode(env); err != nil {
		return events.Envelope{}, fmt.Errorf("%s: %w", what, err)
	}
	for _, p := range want {
		if env.Type == p.EventType() && env.Version == p.EventVersion() {
			return env, nil
		}
	}
	return events.Envelope{}, fmt.Errorf("%s: unexpected %s v%d", what, env.Type, env.Version)
}

func optMoney(m events.Money) *events.Money {
	if !m.Currency().IsValid() {
		return nil
	}
	return &m
}

func fromOptMoney(what string, m *events.Money) (events.Money, error) {
	if m == nil {
		return events.Money{}, nil
	}
	if err := needMoney(what, *m); err != nil {
		return events.Money{}, err
	}
	return *m, nil
}

func needMoney(what string, m events.Money) error {
	if !m.Currency().IsValid() {
		return fmt.Errorf("%s is missing", what)
	}
	return nil
}

// formatTime renders t as RFC 3339 with nanoseconds in UTC, and the zero
// time as "".
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTime(what, s string, optional bool) (time.Time, error) {
	if s == "" {
		if optional {
			return time.Time{}, nil
		}
		return time.Time{}, fmt.Errorf("%s is missing", what)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", what, err)
	}
	return t.UTC(), nil
}

func checkDay(what, day string) error {
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return fmt.Errorf("%s: malformed day %q", what, day)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// restoreImport sets the import fields of a, an imported agreement, from
// its stored payer.agreement_imported, which must describe a.
func (h *Handler) restoreImport(what string, a *agreement, raw json.RawMessage) error {
	env, err := h.decodeReply(what+" import reply", raw, false, events.AgreementImported{})
	if err != nil {
		return err
	}
	p, err := h.reg.Decode(env)
	if err != nil {
		return fmt.Errorf("%s import reply: %w", what, err)
	}
	e := p.(events.AgreementImported)
	if e.AgreementNo != a.no || env.AggregateID != a.payerKey || e.ChannelID != a.channelID ||
		!e.PerPaymentLimit.Equal(a.perPaymentLimit) || !e.DailyLimit.Equal(a.dailyLimit) {
		return fmt.Errorf("%s: import reply %s describes another agreement", what, env.ID)
	}
	a.legacyNo, a.signedOn, a.importReply = e.LegacyNo, e.SignedOn, env
	return nil
}
