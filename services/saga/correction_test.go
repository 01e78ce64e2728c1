package saga

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

const (
	refund   = events.ActionRefundCustomer
	credit   = events.ActionCreditReserve
	discID   = "disc-1"
	minute   = time.Minute
	amount   = "12.34"
	nothing  = "0.00"
	batchOne = "batch-1"
)

// Scenario steps for corrections of the payment txnID.

func correct(action string, d time.Duration) step { return correctAs(action, discID, d) }

func correctAs(action, disc string, d time.Duration) step {
	return func(x *harness) processor.Message {
		return x.msg(events.CorrectPayment{TxnID: txnID, BatchID: batchOne, Action: action, DiscrepancyID: disc}, at(d))
	}
}

// ofCorrection delivers a bank's decision caused by the correction's own
// command: it carries the correction's correlation.
func ofCorrection(s step) step {
	return func(x *harness) processor.Message {
		m := s(x)
		return x.msgIn(m.Payload, m.Time, correctionCorrelation(txnID, discID))
	}
}

// Finished payments to correct, each at its final status by 11s.
var (
	presumedFailure = seq(start(0), times(9, deadline(txnID)))
	presumedSuccess = seq(start(0), debited(time.Second), times(9, deadline(txnID)))
	failedRefused   = seq(start(0), debitRefused(events.ReasonInsufficientFunds, time.Second))
	failedReversed  = seq(start(0), debited(time.Second), creditRefused(events.ReasonReserveAccountClosed, 2*time.Second),
		reversed(3*time.Second))
	succeeded = seq(start(0), debited(time.Second), credited(2*time.Second))
)

// correctionLine renders a payment with its correction: "status | action
// #attempt" while it runs, "status | action done amount" once done, with
// "requested→action" when a credit turned into a refund.
func correctionLine(v PaymentView) string {
	line := paymentLine(v)
	c := v.Correction
	if c == nil {
		return line
	}
	action := c.Action
	if c.Requested != c.Action {
		action = c.Requested + "→" + c.Action
	}
	if c.Done {
		return line + " | " + action + " done " + c.Moved.String()
	}
	return line + " | " + action + " #" + strconv.Itoa(c.Attempt)
}

func TestCorrectionTransitions(t *testing.T) {
	const (
		pf = "presumed_failure payer_leg_unknown payer=unknown reserve=no"
		ps = "presumed_success reserve_leg_unknown payer=yes reserve=unknown"
		fr = "failure insufficient_funds payer=no reserve=no"
	)
	dl := deadline(txnID)
	later := func(d time.Duration) time.Duration { return 20*time.Second + d }
	cases := []struct {
		name  string
		given []step
		when  step
		then  []string
		view  string
	}{
		// refund_customer: reverse the debit the payer bank kept.
		{"refund of a presumed_failure: reverse the debit", presumedFailure, correct(refund, later(0)),
			[]string{"payment.correction_started refund_customer", "→ payer.reverse_debit #1"}, pf + " | refund_customer #1"},
		{"refund of a failure", failedRefused, correct(refund, later(0)),
			[]string{"payment.correction_started refund_customer", "→ payer.reverse_debit #1"}, fr + " | refund_customer #1"},
		{"reversed by the correction: corrected with the amount", seq(presumedFailure, correct(refund, later(0))),
			ofCorrection(reversed(later(time.Second))),
			[]string{"payment.corrected refund_customer " + amount}, pf + " | refund_customer done " + amount},
		{"reversed before (the original reversal's reply): corrected, nothing moved", seq(failedReversed, correct(refund, later(0))),
			reversed(later(time.Second)),
			[]string{"payment.corrected refund_customer " + nothing},
			"failure reserve_account_closed payer=no reserve=no | refund_customer done " + nothing},
		{"the bank reports the debit refused: nothing stands, nothing moved", seq(failedRefused, correct(refund, later(0))),
			debitStatus(events.LegRefused, events.ReasonNotReceivedByBank, later(time.Second)),
			[]string{"payment.corrected refund_customer " + nothing}, fr + " | refund_customer done " + nothing},
		{"the bank reports the debit reversed: nothing moved", seq(presumedFailure, correct(refund, later(0))),
			debitStatus(events.LegReversed, "", later(time.Second)),
			[]string{"payment.corrected refund_customer " + nothing}, pf + " | refund_customer done " + nothing},
		{"a stale status done changes nothing", seq(presumedFailure, correct(refund, later(0))),
			debitStatus(events.LegDone, "", later(time.Second)), nil, pf + " | refund_customer #1"},
		{"a stale status unknown changes nothing", seq(presumedFailure, correct(refund, later(0))),
			debitStatus(events.LegUnknown, "", later(time.Second)), nil, pf + " | refund_customer #1"},
		{"a late debit reply changes nothing", seq(presumedFailure, correct(refund, later(0))),
			debited(later(time.Second)), nil, pf + " | refund_customer #1"},
		{"reversal silent: re-send under the next attempt", seq(presumedFailure, correct(refund, later(0))), dl,
			[]string{"payment.correction_started refund_customer", "→ payer.reverse_debit #2"}, pf + " | refund_customer #2"},
		{"reversal silent for long: still re-sent", seq(presumedFailure, correct(refund, later(0)), times(30, dl)), dl,
			[]string{"payment.correction_started refund_customer", "→ payer.reverse_debit #32"}, pf + " | refund_customer #32"},
		{"reversed after re-sends", seq(presumedFailure, correct(refund, later(0)), times(3, dl)),
			ofCorrection(reversed(later(time.Minute))),
			[]string{"payment.corrected refund_customer " + amount}, pf + " | refund_customer done " + amount},

		// credit_reserve: credit the reserve account the presumption
		// claimed.
		{"credit of a presumed_success: credit the reserve", presumedSuccess, correct(credit, later(0)),
			[]string{"payment.correction_started credit_reserve", "→ reserve.credit_reserve"}, ps + " | credit_reserve #1"},
		{"credited by the correction: corrected with the amount", seq(presumedSuccess, correct(credit, later(0))),
			ofCorrection(credited(later(time.Second))),
			[]string{"payment.corrected credit_reserve " + amount}, ps + " | credit_reserve done " + amount},
		{"the original credit answers: corrected, nothing moved", seq(presumedSuccess, correct(credit, later(0))),
			credited(later(time.Second)),
			[]string{"payment.corrected credit_reserve " + nothing}, ps + " | credit_reserve done " + nothing},
		{"credit silent: re-send under the next attempt", seq(presumedSuccess, correct(credit, later(0))), dl,
			[]string{"payment.correction_started credit_reserve", "→ reserve.credit_reserve"}, ps + " | credit_reserve #2"},
		{"the reserve refuses: refund the customer instead", seq(presumedSuccess, correct(credit, later(0))),
			creditRefused(events.ReasonNotReceivedByBank, later(time.Second)),
			[]string{"payment.correction_started refund_customer", "→ payer.reverse_debit #1"},
			ps + " | credit_reserve→refund_customer #1"},
		{"refused, then reversed: corrected by refund", seq(presumedSuccess, correct(credit, later(0)),
			creditRefused(events.ReasonReserveAccountClosed, later(time.Second))),
			ofCorrection(reversed(later(2 * time.Second))),
			[]string{"payment.corrected refund_customer " + amount}, ps + " | credit_reserve→refund_customer done " + amount},
		{"refused, reversal silent: re-send", seq(presumedSuccess, correct(credit, later(0)),
			creditRefused(events.ReasonReserveAccountClosed, later(time.Second))), dl,
			[]string{"payment.correction_started refund_customer", "→ payer.reverse_debit #2"},
			ps + " | credit_reserve→refund_customer #2"},
		{"a credit status report changes nothing", seq(presumedSuccess, correct(credit, later(0))),
			creditStatus(events.LegDone, "", later(time.Second)), nil, ps + " | credit_reserve #1"},

		// Replies about the other leg, and stale or early deadlines.
		{"refund: a reserve reply changes nothing", seq(presumedFailure, correct(refund, later(0))),
			credited(later(time.Second)), nil, pf + " | refund_customer #1"},
		{"credit: a reversal reply changes nothing", seq(presumedSuccess, correct(credit, later(0))),
			ofCorrection(reversed(later(time.Second))), nil, ps + " | credit_reserve #1"},
		{"after the refund: a second refusal changes nothing", seq(presumedSuccess, correct(credit, later(0)),
			creditRefused(events.ReasonReserveAccountClosed, later(time.Second))),
			creditRefused(events.ReasonReserveAccountClosed, later(2*time.Second)), nil, ps + " | credit_reserve→refund_customer #1"},
		{"stale deadline", seq(presumedFailure, correct(refund, later(0)), dl), fire(txnID, later(2*time.Second), later(3*time.Second)),
			nil, pf + " | refund_customer #2"},
		{"deadline before its time", seq(presumedFailure, correct(refund, later(0))), fire(txnID, later(2*time.Second), later(time.Second)),
			nil, pf + " | refund_customer #1"},

		// Requests that start nothing: no event, no message, no error.
		{"running payment", seq(start(0)), correct(refund, time.Second), nil, "await_payer #0"},
		{"success", succeeded, correct(refund, later(0)), nil, "success payer=yes reserve=yes"},
		{"success, credit", succeeded, correct(credit, later(0)), nil, "success payer=yes reserve=yes"},
		{"refund of a presumed_success", presumedSuccess, correct(refund, later(0)), nil, ps},
		{"credit of a presumed_failure", presumedFailure, correct(credit, later(0)), nil, pf},
		{"credit of a failure", failedRefused, correct(credit, later(0)), nil, fr},
		{"unknown action", presumedFailure, correct("write_off", later(0)), nil, pf},
		{"same discrepancy again while running", seq(presumedFailure, correct(refund, later(0))), correct(refund, later(time.Second)),
			nil, pf + " | refund_customer #1"},
		{"same discrepancy again when done", seq(presumedFailure, correct(refund, later(0)), ofCorrection(reversed(later(time.Second)))),
			correct(refund, later(minute)), nil, pf + " | refund_customer done " + amount},
		{"another discrepancy while running", seq(presumedFailure, correct(refund, later(0))),
			correctAs(refund, "disc-2", later(time.Second)), nil, pf + " | refund_customer #1"},
		{"another discrepancy when done", seq(presumedFailure, correct(refund, later(0)), ofCorrection(reversed(later(time.Second)))),
			correctAs(refund, "disc-2", later(minute)), nil, pf + " | refund_customer done " + amount},
		{"deadline after the correction ended", seq(presumedFailure, correct(refund, later(0)), ofCorrection(reversed(later(time.Second)))),
			fire(txnID, later(2*time.Second), later(2*time.Second)), nil, pf + " | refund_customer done " + amount},
		{"reply after the correction ended", seq(presumedFailure, correct(refund, later(0)), ofCorrection(reversed(later(time.Second)))),
			ofCorrection(reversed(later(2 * time.Second))), nil, pf + " | refund_customer done " + amount},

		// The final status and its answer never change.
		{"the request repeated during a correction: the final outcome", seq(presumedFailure, correct(refund, later(0))),
			start(later(time.Second)), []string{"outcome presumed_failure payer_leg_unknown order-1"}, pf + " | refund_customer #1"},
		{"the request repeated after a correction: the final outcome", seq(presumedSuccess, correct(credit, later(0)),
			ofCorrection(credited(later(time.Second)))),
			start(later(time.Minute)), []string{"outcome presumed_success reserve_leg_unknown order-1"}, ps + " | credit_reserve done " + amount},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := newHarness(t)
			for _, g := range tc.given {
				x.handle(g(x))
			}
			equalLines(t, x.lines(x.handle(tc.when(x))), tc.then)
			v, ok := x.h.Payment(txnID)
			if !ok {
				t.Fatal("no payment")
			}
			if got := correctionLine(v); got != tc.view {
				t.Errorf("payment is %q, want %q", got, tc.view)
			}
		})
	}
}

func TestCorrectPaymentRefusals(t *testing.T) {
	x := newHarness(t)
	out, err := x.h.Handle(correct(refund, 0)(x))
	if err != nil || len(out.Events) != 0 || len(out.Messages) != 0 {
		t.Errorf("unknown transaction: %v, %+v; want nothing and no error", err, out)
	}
	if _, ok := x.h.Payment(txnID); ok {
		t.Error("a correction created a payment")
	}
	for _, g := range presumedFailure {
		x.handle(g(x))
	}
	_, err = x.h.Handle(correctAs(refund, "", 20*time.Second)(x))
	if !errors.Is(err, ErrInvalidCommand) {
		t.Errorf("no discrepancy ID: %v, want ErrInvalidCommand", err)
	}
}

// The commands a correction sends: keyed like the payment's, correlated by
// the correction, caused by the event that sent them, with IDs of their
// own per attempt; and its deadline comes back through Due.
func TestCorrectionCommandDetails(t *testing.T) {
	x := newHarness(t)
	for _, g := range presumedSuccess {
		x.handle(g(x))
	}
	out := x.handle(correct(credit, 20*time.Second)(x))
	cmds := x.commands(out, testTopics.ReserveInbox)
	wantCorrelation := correctionCorrelation(txnID, discID)
	if len(cmds) != 1 || cmds[0].AggregateID != txnID || cmds[0].CorrelationID != wantCorrelation ||
		cmds[0].CausationID != out.Events[0].ID || out.Events[0].CorrelationID != wantCorrelation {
		t.Fatalf("credit %+v after %+v: want one keyed by the txn, in the correction's correlation, caused by its event", cmds, out.Events)
	}
	if cmds[0].ID == events.DeriveID(txnID, "credit_reserve") {
		t.Error("the correction's credit reuses the payment's credit ID")
	}
	p, err := x.reg.Decode(cmds[0])
	if err != nil {
		t.Fatal(err)
	}
	if c := p.(events.CreditReserve); c.ReserveAccount != "reserve-1" || c.ChannelID != "chan-1" || !c.Amount.Equal(events.CNY(amount)) {
		t.Errorf("credit %+v: want the payment's account, channel and amount", c)
	}
	first := cmds[0].ID

	// The deadline: LegTimeout after the first attempt, through Due.
	if due := x.h.Due(at(22*time.Second - time.Nanosecond)); len(due) != 0 {
		t.Fatalf("Due before the correction's deadline: %d commands", len(due))
	}
	due := x.h.Due(at(22 * time.Second))
	if len(due) != 1 {
		t.Fatalf("Due at the correction's deadline: %d commands, want 1", len(due))
	}
	env, err := events.Unmarshal(due[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	if env.CorrelationID != wantCorrelation {
		t.Errorf("deadline correlation %s, want the correction's", env.CorrelationID)
	}
	dp, _ := x.reg.Decode(env)
	out = x.handle(processor.Message{Envelope: env, Payload: dp, Value: due[0].Value, Time: at(22 * time.Second)})
	cmds = x.commands(out, testTopics.ReserveInbox)
	if len(cmds) != 1 || cmds[0].ID == first {
		t.Fatalf("re-sent credit %+v: want one with an ID of its own", cmds)
	}
	if v, _ := x.h.Payment(txnID); !v.Correction.Deadline.Equal(at(23 * time.Second)) {
		t.Errorf("deadline after a re-send %v, want QueryInterval later", v.Correction.Deadline)
	}

	// Refused: the reversal goes to the payer bank under the payer key.
	out = x.handle(creditRefused(events.ReasonReserveAccountClosed, 23500*time.Millisecond)(x))
	rev := x.commands(out, testTopics.PayerInbox)
	if len(rev) != 1 || rev[0].AggregateID != payerKey || rev[0].CorrelationID != wantCorrelation {
		t.Fatalf("reversal %+v: want one keyed by the payer key, in the correction's correlation", rev)
	}
	for _, attempt := range []string{"1", "2"} {
		if rev[0].ID == events.DeriveID(txnID, "reverse_debit", attempt) {
			t.Error("the correction's reversal reuses an ID of the payment's own reversals")
		}
	}

	// Done: no timer, no more deadlines, the keys are gone.
	x.handle(ofCorrection(reversed(24 * time.Second))(x))
	if due := x.h.Due(at(time.Hour)); len(due) != 0 {
		t.Errorf("Due after the correction ended: %d commands", len(due))
	}
	if p := x.h.payments[txnID]; p.end.keys != nil {
		t.Errorf("a corrected payment keeps %+v", *p.end.keys)
	}
}

// Every correction message handled a second time, as the runtime
// redelivers after a crash between produce and commit, sends exactly what
// it sent the first time and records nothing.
func TestCorrectionRedeliveryResendsIdenticalRecords(t *testing.T) {
	dl := deadline(txnID)
	later := func(d time.Duration) time.Duration { return 20*time.Second + d }
	scenarios := map[string][]step{
		"refund": seq(presumedFailure, correct(refund, later(0)), dl, dl, ofCorrection(reversed(later(5*time.Second)))),
		"credit": seq(presumedSuccess, correct(credit, later(0)), dl, credited(later(5*time.Second))),
		"credit refused, then refund": seq(presumedSuccess, correct(credit, later(0)),
			creditRefused(events.ReasonReserveAccountClosed, later(time.Second)), dl,
			debitStatus(events.LegRefused, "", later(10*time.Second))),
		"ignored": seq(succeeded, correct(refund, later(0)), correct(credit, later(0))),
	}
	for name, steps := range scenarios {
		t.Run(name, func(t *testing.T) {
			x := newHarness(t)
			for _, s := range steps {
				m := s(x)
				first := x.handle(m)
				again := x.handle(m)
				if len(again.Events) != 0 {
					t.Fatalf("%s redelivered recorded %d events", m.Envelope.Type, len(again.Events))
				}
				if len(again.Messages) != len(first.Messages) {
					t.Fatalf("%s redelivered sent %v, first %v", m.Envelope.Type, x.lines(again), x.lines(first))
				}
				for i := range first.Messages {
					a, b := first.Messages[i], again.Messages[i]
					if a.Topic != b.Topic || a.Key != b.Key || !bytes.Equal(a.Value, b.Value) {
						t.Errorf("%s redelivered sent\n%s\nfirst\n%s", m.Envelope.Type, b.Value, a.Value)
					}
				}
			}
		})
	}
}

// However often corrections, replies, deadlines and requests are
// redelivered, in whatever order, a payment keeps its one payment.finished
// and its final status, and records one payment.corrected at most.
func TestCorrectionNeverChangesTheFinalStatus(t *testing.T) {
	dl := deadline(txnID)
	later := func(d time.Duration) time.Duration { return 20*time.Second + d }
	for seed := uint64(1); seed <= 20; seed++ {
		x := newHarness(t)
		var sent []processor.Message
		for _, s := range seq(presumedSuccess, correct(credit, later(0)), dl,
			creditRefused(events.ReasonReserveAccountClosed, later(4*time.Second)), dl, dl,
			ofCorrection(reversed(later(9*time.Second))), correctAs(refund, "disc-2", later(time.Minute))) {
			m := s(x)
			sent = append(sent, m)
			x.handle(m)
		}
		rng := rand.New(rand.NewPCG(seed, 7))
		for range 60 {
			m := sent[rng.IntN(len(sent))]
			m.Time = m.Time.Add(time.Duration(rng.IntN(60)) * time.Second)
			x.handle(m)
		}
		count := map[string]int{}
		for _, env := range x.log {
			count[env.Type]++
		}
		v, _ := x.h.Payment(txnID)
		if count["payment.finished"] != 1 || count["payment.corrected"] != 1 || v.Status != events.StatusPresumedSuccess ||
			v.Correction == nil || !v.Correction.Done || !v.Correction.Moved.Equal(events.CNY(amount)) {
			t.Fatalf("seed %d: events %v, payment %+v", seed, count, v)
		}
	}
}

// The fold refuses correction events the decisions never write.
func TestCorrectionFoldRefusesImpossibleEvents(t *testing.T) {
	later := 20 * time.Second
	started := func(action, disc string) events.Payload {
		return events.PaymentCorrectionStarted{TxnID: txnID, Action: action, BatchID: batchOne, DiscrepancyID: disc}
	}
	corrected := func(action, amount string) events.Payload {
		return events.PaymentCorrected{TxnID: txnID, Action: action, Amount: events.CNY(amount)}
	}
	cases := []struct {
		name  string
		given []step
		event events.Payload
	}{
		{"correction of a running payment", seq(start(0)), started(refund, discID)},
		{"refund of a success", succeeded, started(refund, discID)},
		{"credit of a presumed_failure", presumedFailure, started(credit, discID)},
		{"no discrepancy", presumedFailure, started(refund, "")},
		{"second discrepancy", seq(presumedFailure, correct(refund, later)), started(refund, "disc-2")},
		{"refund turned credit", seq(presumedFailure, correct(refund, later)), started(credit, discID)},
		{"start after done", seq(presumedFailure, correct(refund, later), ofCorrection(reversed(later+time.Second))), started(refund, discID)},
		{"corrected without a correction", presumedFailure, corrected(refund, amount)},
		{"corrected by the other action", seq(presumedFailure, correct(refund, later)), corrected(credit, amount)},
		{"corrected by another amount", seq(presumedFailure, correct(refund, later)), corrected(refund, "1.00")},
		{"corrected twice", seq(presumedFailure, correct(refund, later), ofCorrection(reversed(later+time.Second))), corrected(refund, amount)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := newHarness(t)
			for _, g := range tc.given {
				x.handle(g(x))
			}
			v, _ := x.h.Payment(txnID)
			env, err := x.reg.New(txnID, v.Sequence+1, tc.event, events.Meta{
				ID: events.DeriveID("impossible", tc.name), CorrelationID: "c", CausationID: "c", OccurredAt: at(time.Hour),
			})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if recover() == nil {
					t.Fatal("Apply folded an impossible correction event")
				}
			}()
			x.h.Apply(env, tc.event)
		})
	}
}
