package saga

import (
	"maps"
	"time"

	"github.com/paycore/paycore/events"
)

// maxConfirms bounds the confirm_signing requests one signing remembers.
// The bank fails a signing after a few wrong codes (3 by default), so
// honest use stays far below; the bound keeps a misbehaving channel from
// growing a saga without limit. A key beyond it is refused with
// sms_attempts_exceeded and not remembered: the count never shrinks, so a
// repeat of that key is refused the same way.
const maxConfirms = 16

// signing is one agreement signing saga (协议签约): the bank verifies the
// holder and sends an SMS code (await_bank), the customer's code comes in
// through confirm_signing requests (await_code), and the bank issues the
// agreement or rejects the code (await_agreement). It changes only in the
// fold (apply).
type signing struct {
	id   string
	seq  uint64
	last lastEvent
	// lastKey is the confirm request the latest event answered or
	// accepted ("" when it concerned none), so a redelivery of the message
	// behind it is answered for the right request.
	lastKey string
	req     request
	// smsSentAt is when the bank verified the holder: the sign request's
	// sms_sent answer. Zero before.
	smsSentAt time.Time
	// confirms holds every confirm_signing request by idempotency key, with
	// its answer, so a repeat gets the same answer (at most maxConfirms).
	confirms map[string]confirm
	// run is the working state; nil once finished.
	run *signingRun
	end signingEnd
}

// signingRun is what a running signing needs to go on.
type signingRun struct {
	correlation string
	payerKey    string
	// verify is the identity check to (re-)send while awaiting the bank.
	// It holds the holder's personal data, so it is dropped once verified.
	verify        *events.VerifySigning
	step          string
	deadline      time.Time
	final         time.Time // no more re-sends from here: signing_failed
	codeExpiresAt time.Time // the bank's SMS code expiry, the await_code deadline
	pending       string    // idempotency key of the confirm awaiting the bank
	pendingCode   string
	entered       stepRef
}

// signingEnd is the final status; set once, never changed. confirmKey is
// the confirm request it answers, or "" when it answers the sign request.
type signingEnd struct {
	status      string
	reasonCode  string
	agreementNo string
	confirmKey  string
	at          time.Time
}

// confirm is one confirm_signing request and its answer; status is empty
// while the bank has not answered.
type confirm struct {
	bodyHash   string
	orderID    string
	status     string
	reasonCode string
	at         time.Time
}

// newSigning folds signing.started.
func newSigning(env events.Envelope, e events.SigningStarted) *signing {
	checkNext(env, 0)
	c := e.Request
	if c.SigningID != env.AggregateID {
		impossible(env, "started for signing %s", c.SigningID)
	}
	return &signing{
		id:       env.AggregateID,
		seq:      env.Sequence,
		last:     lastOf(env, e),
		req:      request{channelID: c.ChannelID, orderID: c.OrderID, idemKey: c.IdempotencyKey, bodyHash: c.BodyHash},
		confirms: map[string]confirm{},
		run: &signingRun{
			correlation: env.CorrelationID,
			payerKey:    c.PayerKey,
			verify: &events.VerifySigning{
				SigningID:       c.SigningID,
				ChannelID:       c.ChannelID,
				PayerKey:        c.PayerKey,
				PayerAccount:    c.PayerAccount,
				HolderName:      c.HolderName,
				IDNumber:        c.IDNumber,
				Phone:           c.Phone,
				PerPaymentLimit: c.PerPaymentLimit,
				DailyLimit:      c.DailyLimit,
			},
			step:     events.StepAwaitBank,
			deadline: e.Deadline,
			final:    e.FinalDeadline,
			entered:  stepOf(env),
		},
	}
}

// apply folds every signing event after signing.started.
func (s *signing) apply(env events.Envelope, ev events.Payload) {
	checkNext(env, s.seq)
	s.lastKey = ""
	switch e := ev.(type) {
	case events.SigningStepChanged:
		s.stepChanged(env, e)
	case events.SigningCodeSubmitted:
		s.codeSubmitted(env, e)
	case events.SigningConfirmRejected:
		if _, dup := s.confirms[e.IdempotencyKey]; dup {
			impossible(env, "confirm %s answered twice", e.IdempotencyKey)
		}
		s.confirms[e.IdempotencyKey] = confirm{
			bodyHash: e.BodyHash, orderID: e.OrderID,
			status: events.StatusRejected, reasonCode: e.ReasonCode, at: env.OccurredAt,
		}
		s.lastKey = e.IdempotencyKey
	case events.SigningFinished:
		s.finished(env, e)
	default:
		impossible(env, "not a signing event")
	}
	s.seq = env.Sequence
	s.last = lastOf(env, ev)
}

// stepChanged folds signing.step_changed: the holder verified, a code
// rejected, or a command re-sent after its deadline.
func (s *signing) stepChanged(env events.Envelope, e events.SigningStepChanged) {
	r := s.run
	if r == nil {
		impossible(env, "signing already finished")
	}
	switch {
	case e.Step == events.StepAwaitCode && r.step == events.StepAwaitBank && e.ReasonCode == "":
		s.smsSentAt = env.OccurredAt
		r.codeExpiresAt = e.Deadline
		r.verify = nil
	case e.Step == events.StepAwaitCode && r.step == events.StepAwaitAgreement && e.ReasonCode != "":
		c := s.confirms[r.pending]
		c.status, c.reasonCode, c.at = events.StatusRejected, e.ReasonCode, env.OccurredAt
		s.confirms[r.pending] = c
		s.lastKey = r.pending
		r.pending, r.pendingCode = "", ""
	case e.Step == r.step && (r.step == events.StepAwaitBank || r.step == events.StepAwaitAgreement):
		// The pending command re-sent.
	default:
		impossible(env, "step %s to %s", r.step, e.Step)
	}
	r.step = e.Step
	r.deadline = e.Deadline
	r.entered = stepOf(env)
}

// codeSubmitted folds signing.code_submitted: a confirm request goes to
// the bank.
func (s *signing) codeSubmitted(env events.Envelope, e events.SigningCodeSubmitted) {
	r := s.run
	if r == nil || r.step != events.StepAwaitCode {
		impossible(env, "no code awaited")
	}
	if _, dup := s.confirms[e.IdempotencyKey]; dup {
		impossible(env, "confirm %s submitted twice", e.IdempotencyKey)
	}
	s.confirms[e.IdempotencyKey] = confirm{bodyHash: e.BodyHash, orderID: e.OrderID}
	s.lastKey = e.IdempotencyKey
	r.pending, r.pendingCode = e.IdempotencyKey, e.SMSCode
	r.step = events.StepAwaitAgreement
	r.deadline = e.Deadline
	r.entered = stepOf(env)
}

// finished folds signing.finished. The final status answers the confirm
// request awaiting the bank, if any, and otherwise the sign request.
func (s *signing) finished(env events.Envelope, e events.SigningFinished) {
	r := s.run
	if r == nil {
		impossible(env, "signing already finished as %s", s.end.status)
	}
	s.end = signingEnd{status: e.Status, reasonCode: e.ReasonCode, agreementNo: e.AgreementNo, confirmKey: r.pending, at: env.OccurredAt}
	if r.pending != "" {
		c := s.confirms[r.pending]
		c.status, c.reasonCode, c.at = e.Status, e.ReasonCode, env.OccurredAt
		s.confirms[r.pending] = c
		s.lastKey = r.pending
	}
	s.run = nil
}

// clone returns a copy the decision can fold a new event into without
// touching the partition state.
func (s *signing) clone() *signing {
	c := *s
	if s.run != nil {
		r := *s.run
		c.run = &r
	}
	c.confirms = maps.Clone(s.confirms)
	return &c
}

// SigningView is a signing saga as tests and audits see it.
type SigningView struct {
	SigningID string
	ChannelID string
	OrderID   string
	Sequence  uint64
	// Step and Deadline describe a running signing; Step is empty once it
	// finished.
	Step     string
	Deadline time.Time
	// SMSSentAt is when the bank verified the holder (zero before).
	SMSSentAt time.Time
	// Confirms counts the confirm requests the saga remembers.
	Confirms int
	// Status is signed or signing_failed once finished, empty before.
	Status      string
	ReasonCode  string
	AgreementNo string
	FinishedAt  time.Time
}

// Signing returns the signing saga signingID, if this partition holds it.
func (h *Handler) Signing(signingID string) (SigningView, bool) {
	s, ok := h.signings[signingID]
	if !ok {
		return SigningView{}, false
	}
	v := SigningView{
		SigningID:   s.id,
		ChannelID:   s.req.channelID,
		OrderID:     s.req.orderID,
		Sequence:    s.seq,
		SMSSentAt:   s.smsSentAt,
		Confirms:    len(s.confirms),
		Status:      s.end.status,
		ReasonCode:  s.end.reasonCode,
		AgreementNo: s.end.agreementNo,
		FinishedAt:  s.end.at,
	}
	if r := s.run; r != nil {
		v.Step, v.Deadline = r.step, r.deadline
	}
	return v, true
}
