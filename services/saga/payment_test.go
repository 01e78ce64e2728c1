package saga

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

var (
	txnID    = events.DeriveID("test", "txn")
	payerKey = "payer-key-1"
)

func startPayment(order, hash string) events.StartPayment {
	return events.StartPayment{
		TxnID: txnID, ChannelID: "chan-1", OrderID: order, IdempotencyKey: "idem-1", BodyHash: hash,
		AgreementNo: "agr-1", PayerKey: payerKey, ReserveAccount: "reserve-1", Amount: events.CNY("12.34"),
	}
}

// Scenario steps for the payment txnID.
func start(d time.Duration) step { return startAs("order-1", "hash-1", d) }

func startAs(order, hash string, d time.Duration) step {
	return func(x *harness) processor.Message { return x.msg(startPayment(order, hash), at(d)) }
}

func debited(d time.Duration) step {
	return func(x *harness) processor.Message {
		return x.msg(events.PayerDebited{TxnID: txnID, AgreementNo: "agr-1", Amount: events.CNY("12.34"),
			BalanceAfter: events.CNY("87.66"), Day: "2026-03-02"}, at(d))
	}
}

func debitRefused(reason string, d time.Duration) step {
	return func(x *harness) processor.Message {
		return x.msg(events.PayerDebitRefused{TxnID: txnID, ReasonCode: reason}, at(d))
	}
}

func reversed(d time.Duration) step {
	return func(x *harness) processor.Message {
		return x.msg(events.PayerDebitReversed{TxnID: txnID, Amount: events.CNY("12.34"), BalanceAfter: events.CNY("100")}, at(d))
	}
}

func debitStatus(status, reason string, d time.Duration) step {
	return func(x *harness) processor.Message {
		return x.msg(events.DebitStatusReported{TxnID: txnID, Attempt: 1, Status: status, ReasonCode: reason}, at(d))
	}
}

func credited(d time.Duration) step {
	return func(x *harness) processor.Message {
		return x.msg(events.ReserveCredited{TxnID: txnID, ReserveAccount: "reserve-1", ChannelID: "chan-1", Amount: events.CNY("12.34")}, at(d))
	}
}

func creditRefused(reason string, d time.Duration) step {
	return func(x *harness) processor.Message {
		return x.msg(events.ReserveCreditRefused{TxnID: txnID, ReasonCode: reason}, at(d))
	}
}

func creditStatus(status, reason string, d time.Duration) step {
	return func(x *harness) processor.Message {
		return x.msg(events.CreditStatusReported{TxnID: txnID, Attempt: 1, Status: status, ReasonCode: reason}, at(d))
	}
}

// deadline fires the saga's current deadline, exactly when it is due.
func deadline(id string) step {
	return func(x *harness) processor.Message {
		dl := currentDeadline(x, id)
		return x.msg(events.FireDeadline{SagaID: id, Deadline: dl}, dl)
	}
}

// fire fires deadline dl at message time d: stale or early on purpose.
func fire(id string, dl, d time.Duration) step {
	return func(x *harness) processor.Message {
		return x.msg(events.FireDeadline{SagaID: id, Deadline: at(dl)}, at(d))
	}
}

func currentDeadline(x *harness, id string) time.Time {
	x.t.Helper()
	if v, ok := x.h.Payment(id); ok && v.Step != "" {
		return v.Deadline
	}
	if v, ok := x.h.Payment(id); ok && v.Correction != nil && !v.Correction.Done {
		return v.Correction.Deadline
	}
	if v, ok := x.h.Signing(id); ok && v.Step != "" {
		return v.Deadline
	}
	x.t.Fatalf("saga %s has no deadline", id)
	return time.Time{}
}

func times(n int, s step) []step {
	steps := make([]step, n)
	for i := range steps {
		steps[i] = s
	}
	return steps
}

func seq(parts ...any) []step {
	var steps []step
	for _, p := range parts {
		switch v := p.(type) {
		case step:
			steps = append(steps, v)
		case []step:
			steps = append(steps, v...)
		default:
			panic("seq: not a step")
		}
	}
	return steps
}

func paymentLine(v PaymentView) string {
	if v.Status != "" {
		return strings.Join(strings.Fields(v.Status+" "+v.ReasonCode+" payer="+v.PayerDebited+" reserve="+v.ReserveCredited), " ")
	}
	return v.Step + " #" + strconv.Itoa(v.Attempt)
}

func TestPaymentTransitions(t *testing.T) {
	const (
		funds   = events.ReasonInsufficientFunds
		closed  = events.ReasonReserveAccountClosed
		notRecv = events.ReasonNotReceivedByBank
	)
	dl := deadline(txnID)
	// Payer final deadline 10s: start at 0, first deadline 2s, then a
	// query every 1s: 8 queries (deadlines 3..10), presumed at 10s.
	payerQueriesToFinal := times(8, dl)
	// Reserve final deadline 11s (debit at 1s): first deadline 3s, then
	// queries with deadlines 4..11.
	reserveQueriesToFinal := times(8, dl)
	cases := []struct {
		name  string
		given []step
		when  step
		then  []string
		view  string
	}{
		// The way to success.
		{"start sends the debit", nil, start(0),
			[]string{"payment.started", "→ payer.debit_payer"}, "await_payer #0"},
		{"debited: credit the reserve", seq(start(0)), debited(time.Second),
			[]string{"payment.step_changed await_reserve #0", "→ reserve.credit_reserve"}, "await_reserve #0"},
		{"credited: success", seq(start(0), debited(time.Second)), credited(2 * time.Second),
			[]string{"payment.finished success payer=yes reserve=yes", "outcome success order-1"},
			"success payer=yes reserve=yes"},

		// Refusals.
		{"payer refuses: failure with its reason", seq(start(0)), debitRefused(funds, time.Second),
			[]string{"payment.finished failure insufficient_funds payer=no reserve=no", "outcome failure insufficient_funds order-1"},
			"failure insufficient_funds payer=no reserve=no"},
		{"reserve refuses: reverse the debit", seq(start(0), debited(time.Second)), creditRefused(closed, 2*time.Second),
			[]string{"payment.step_changed await_reversal #1", "→ payer.reverse_debit #1"}, "await_reversal #1"},
		{"reversed: failure with the reserve's reason", seq(start(0), debited(time.Second), creditRefused(closed, 2*time.Second)),
			reversed(3 * time.Second),
			[]string{"payment.finished failure reserve_account_closed payer=no reserve=no", "outcome failure reserve_account_closed order-1"},
			"failure reserve_account_closed payer=no reserve=no"},

		// Payer leg timeouts and status queries.
		{"payer silent: query", seq(start(0)), dl,
			[]string{"payment.step_changed query_payer #1", "→ payer.query_debit #1"}, "query_payer #1"},
		{"query unknown: wait", seq(start(0), dl), debitStatus(events.LegUnknown, "", 2500*time.Millisecond),
			nil, "query_payer #1"},
		{"still unknown at the next deadline: query again", seq(start(0), dl, debitStatus(events.LegUnknown, "", 2500*time.Millisecond)), dl,
			[]string{"payment.step_changed query_payer #2", "→ payer.query_debit #2"}, "query_payer #2"},
		{"query says done: credit the reserve", seq(start(0), dl), debitStatus(events.LegDone, "", 2500*time.Millisecond),
			[]string{"payment.step_changed await_reserve #0", "→ reserve.credit_reserve"}, "await_reserve #0"},
		{"query says refused: failure", seq(start(0), dl), debitStatus(events.LegRefused, notRecv, 2500*time.Millisecond),
			[]string{"payment.finished failure not_received_by_bank payer=no reserve=no", "outcome failure not_received_by_bank order-1"},
			"failure not_received_by_bank payer=no reserve=no"},
		{"query says refused without reason: not received", seq(start(0), dl), debitStatus(events.LegRefused, "", 2500*time.Millisecond),
			[]string{"payment.finished failure not_received_by_bank payer=no reserve=no", "outcome failure not_received_by_bank order-1"},
			"failure not_received_by_bank payer=no reserve=no"},
		{"query says reversed in a payer step: failure", seq(start(0), dl), debitStatus(events.LegReversed, notRecv, 2500*time.Millisecond),
			[]string{"payment.finished failure not_received_by_bank payer=no reserve=no", "outcome failure not_received_by_bank order-1"},
			"failure not_received_by_bank payer=no reserve=no"},
		{"late debit reply while querying: credit the reserve", seq(start(0), dl), debited(2500 * time.Millisecond),
			[]string{"payment.step_changed await_reserve #0", "→ reserve.credit_reserve"}, "await_reserve #0"},
		{"late refusal while querying: failure", seq(start(0), dl), debitRefused(funds, 2500*time.Millisecond),
			[]string{"payment.finished failure insufficient_funds payer=no reserve=no", "outcome failure insufficient_funds order-1"},
			"failure insufficient_funds payer=no reserve=no"},
		{"payer unknown at its final deadline: presumed_failure", seq(start(0), payerQueriesToFinal), dl,
			[]string{"payment.finished presumed_failure payer_leg_unknown payer=unknown reserve=no", "outcome presumed_failure payer_leg_unknown order-1"},
			"presumed_failure payer_leg_unknown payer=unknown reserve=no"},
		{"payer unknown just before its final deadline: query again", seq(start(0), payerQueriesToFinal[:7]), dl,
			[]string{"payment.step_changed query_payer #8", "→ payer.query_debit #8"}, "query_payer #8"},

		// Reserve leg timeouts and status queries.
		{"reserve silent: query", seq(start(0), debited(time.Second)), dl,
			[]string{"payment.step_changed query_reserve #1", "→ reserve.query_credit #1"}, "query_reserve #1"},
		{"credit query unknown: wait", seq(start(0), debited(time.Second), dl), creditStatus(events.LegUnknown, "", 3500*time.Millisecond),
			nil, "query_reserve #1"},
		{"credit query done: success", seq(start(0), debited(time.Second), dl), creditStatus(events.LegDone, "", 3500*time.Millisecond),
			[]string{"payment.finished success payer=yes reserve=yes", "outcome success order-1"},
			"success payer=yes reserve=yes"},
		{"credit query refused: reverse", seq(start(0), debited(time.Second), dl), creditStatus(events.LegRefused, notRecv, 3500*time.Millisecond),
			[]string{"payment.step_changed await_reversal #1", "→ payer.reverse_debit #1"}, "await_reversal #1"},
		{"credit refused (not received) then reversed: failure", seq(start(0), debited(time.Second), dl, creditStatus(events.LegRefused, notRecv, 3500*time.Millisecond)),
			reversed(4 * time.Second),
			[]string{"payment.finished failure not_received_by_bank payer=no reserve=no", "outcome failure not_received_by_bank order-1"},
			"failure not_received_by_bank payer=no reserve=no"},
		{"reserve unknown at its final deadline: presumed_success", seq(start(0), debited(time.Second), reserveQueriesToFinal), dl,
			[]string{"payment.finished presumed_success reserve_leg_unknown payer=yes reserve=unknown", "outcome presumed_success reserve_leg_unknown order-1"},
			"presumed_success reserve_leg_unknown payer=yes reserve=unknown"},
		{"reserve final counts from the debit, not the start", seq(start(0), debited(5*time.Second), times(5, dl)), dl,
			[]string{"payment.step_changed query_reserve #6", "→ reserve.query_credit #6"}, "query_reserve #6"},

		// Reversal: re-sent until done, never presumed.
		{"reversal silent: re-send", seq(start(0), debited(time.Second), creditRefused(closed, 2*time.Second)), dl,
			[]string{"payment.step_changed await_reversal #2", "→ payer.reverse_debit #2"}, "await_reversal #2"},
		{"reversal silent long after every final deadline: still re-sent", seq(start(0), debited(time.Second), creditRefused(closed, 2*time.Second), times(40, dl)), dl,
			[]string{"payment.step_changed await_reversal #42", "→ payer.reverse_debit #42"}, "await_reversal #42"},
		{"reversal reported by a status answer: failure", seq(start(0), debited(time.Second), creditRefused(closed, 2*time.Second)),
			debitStatus(events.LegReversed, "", 3*time.Second),
			[]string{"payment.finished failure reserve_account_closed payer=no reserve=no", "outcome failure reserve_account_closed order-1"},
			"failure reserve_account_closed payer=no reserve=no"},

		// Stale and misplaced replies change nothing.
		{"debit reply twice", seq(start(0), debited(time.Second)), debited(1500 * time.Millisecond), nil, "await_reserve #0"},
		{"reply after the end", seq(start(0), debitRefused(funds, time.Second)), debited(2 * time.Second),
			nil, "failure insufficient_funds payer=no reserve=no"},
		{"presumed failure is final: a late debit changes nothing", seq(start(0), payerQueriesToFinal, dl), debited(11 * time.Second),
			nil, "presumed_failure payer_leg_unknown payer=unknown reserve=no"},
		{"reserve reply while awaiting the payer", seq(start(0)), credited(time.Second), nil, "await_payer #0"},
		{"payer refusal while awaiting the reserve", seq(start(0), debited(time.Second)), debitRefused(funds, 2*time.Second), nil, "await_reserve #0"},
		{"reversal reply while awaiting the reserve", seq(start(0), debited(time.Second)), reversed(2 * time.Second), nil, "await_reserve #0"},
		{"debit status while awaiting the reserve", seq(start(0), debited(time.Second), dl), debitStatus(events.LegRefused, notRecv, 3500*time.Millisecond),
			nil, "query_reserve #1"},
		{"credit status while awaiting the payer", seq(start(0), dl), creditStatus(events.LegDone, "", 2500*time.Millisecond), nil, "query_payer #1"},
		{"credit reply while reversing", seq(start(0), debited(time.Second), creditRefused(closed, 2*time.Second)), credited(3 * time.Second),
			nil, "await_reversal #1"},
		{"stale deadline", seq(start(0), dl), fire(txnID, 2*time.Second, 3500*time.Millisecond), nil, "query_payer #1"},
		{"deadline before its time", seq(start(0)), fire(txnID, 2*time.Second, 1999*time.Millisecond), nil, "await_payer #0"},
		{"deadline after the end", seq(start(0), debitRefused(funds, time.Second)), fire(txnID, 2*time.Second, 2*time.Second),
			nil, "failure insufficient_funds payer=no reserve=no"},

		// Repeated requests.
		{"same request while running: re-send the step's command", seq(start(0), debited(time.Second)), start(1500 * time.Millisecond),
			[]string{"→ reserve.credit_reserve"}, "await_reserve #0"},
		{"same request while querying: re-send the query", seq(start(0), dl), start(2500 * time.Millisecond),
			[]string{"→ payer.query_debit #1"}, "query_payer #1"},
		{"same request after the end: re-send the outcome", seq(start(0), debitRefused(funds, time.Second)), start(time.Minute),
			[]string{"outcome failure insufficient_funds order-1"}, "failure insufficient_funds payer=no reserve=no"},
		{"same key, other body: rejected for the new order", seq(start(0)), startAs("order-2", "hash-2", time.Second),
			[]string{"payment.duplicate_rejected", "outcome rejected duplicate_key_different_body order-2", "reject duplicate_key_different_body order-2"},
			"await_payer #0"},
		{"same key, other body, after the end: rejected", seq(start(0), debited(time.Second), credited(2*time.Second)), startAs("order-2", "hash-2", time.Minute),
			[]string{"payment.duplicate_rejected", "outcome rejected duplicate_key_different_body order-2", "reject duplicate_key_different_body order-2"},
			"success payer=yes reserve=yes"},
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
			if got := paymentLine(v); got != tc.view {
				t.Errorf("payment is %q, want %q", got, tc.view)
			}
		})
	}
}

func TestPaymentStartAndOutcomeDetails(t *testing.T) {
	x := newHarness(t)
	startMsg := start(0)(x)
	out := x.handle(startMsg)
	v, _ := x.h.Payment(txnID)
	if !v.Deadline.Equal(at(DefaultLegTimeout)) {
		t.Errorf("deadline %v, want start + LegTimeout", v.Deadline)
	}
	debit := x.commands(out, testTopics.PayerInbox)
	if len(debit) != 1 || debit[0].AggregateID != payerKey || debit[0].ID != events.DeriveID(txnID, "debit_payer") {
		t.Fatalf("debit command %+v: want one, keyed by the payer key, ID from the txn", debit)
	}
	if debit[0].CorrelationID != startMsg.Envelope.CorrelationID || debit[0].CausationID != out.Events[0].ID {
		t.Errorf("debit correlation %s causation %s: want the request's correlation, caused by payment.started",
			debit[0].CorrelationID, debit[0].CausationID)
	}
	p, _ := x.reg.Decode(out.Events[0])
	if started := p.(events.PaymentStarted); !started.FinalDeadline.Equal(at(DefaultPayerFinalTimeout)) {
		t.Errorf("final deadline %v, want start + PayerFinalTimeout", started.FinalDeadline)
	}

	out = x.handle(debited(time.Second)(x))
	p, _ = x.reg.Decode(out.Events[0])
	if sc := p.(events.PaymentStepChanged); !sc.FinalDeadline.Equal(at(time.Second+DefaultReserveFinalTimeout)) || sc.Cause != "payer.payer_debited" {
		t.Errorf("await_reserve final deadline %v cause %q, want debit + ReserveFinalTimeout, the reply type", sc.FinalDeadline, sc.Cause)
	}
	credit := x.commands(out, testTopics.ReserveInbox)
	if len(credit) != 1 || credit[0].AggregateID != txnID {
		t.Fatalf("credit command %+v: want one, keyed by the txn", credit)
	}

	out = x.handle(credited(2 * time.Second)(x))
	ocs := outcomes(t, out)
	if len(ocs) != 1 {
		t.Fatalf("%d outcomes, want 1", len(ocs))
	}
	oc := ocs[0]
	switch {
	case oc.OutcomeID != events.DeriveID(txnID, "outcome"):
		t.Errorf("outcome ID %s, want DeriveID(txn, outcome)", oc.OutcomeID)
	case oc.RequestType != events.RequestPay || oc.ChannelID != "chan-1" || oc.IdempotencyKey != "idem-1":
		t.Errorf("outcome %+v does not name the request", oc)
	case oc.TransactionID != txnID || oc.Amount == nil || !oc.Amount.Equal(events.CNY("12.34")):
		t.Errorf("outcome %+v: want transaction ID and amount", oc)
	case !oc.DecidedAt.Equal(at(2 * time.Second)):
		t.Errorf("decided at %v, want the reply's time", oc.DecidedAt)
	}
}

func TestPaymentDuplicateRejectionKeepsTheRequest(t *testing.T) {
	x := newHarness(t)
	x.handle(start(0)(x))
	m := startAs("order-2", "hash-2", time.Second)(x)
	out := x.handle(m)
	var rejected events.Rejected
	for _, o := range out.Messages {
		if o.Topic == testTopics.Rejects {
			if err := json.Unmarshal(o.Value, &rejected); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !bytes.Equal(rejected.Raw, m.Value) || rejected.Offset != m.Offset || rejected.ChannelID != "chan-1" ||
		rejected.ReasonCode != events.ReasonDuplicateKeyNewBody || rejected.Reason == "" {
		t.Errorf("rejected %+v: want the command verbatim with its position and reason", rejected)
	}
	oc := outcomes(t, out)[0]
	if oc.OutcomeID == events.DeriveID(txnID, "outcome") || oc.TransactionID != "" || oc.Reason == "" {
		t.Errorf("rejection %+v: must not reuse the payment's outcome ID or claim its transaction", oc)
	}
	// The original request is unaffected and still answered as before.
	out = x.handle(start(2 * time.Second)(x))
	equalLines(t, x.lines(out), []string{"→ payer.debit_payer"})
}

// Every message handled a second time, as the runtime redelivers after a
// crash between produce and commit, must send exactly what it sent the
// first time and record nothing.
func TestPaymentRedeliveryResendsIdenticalRecords(t *testing.T) {
	dl := deadline(txnID)
	scenarios := map[string][]step{
		"success":          seq(start(0), debited(time.Second), credited(2*time.Second)),
		"queried":          seq(start(0), dl, debitStatus(events.LegDone, "", 2500*time.Millisecond), dl, creditStatus(events.LegDone, "", 4*time.Second)),
		"reversed":         seq(start(0), debited(time.Second), creditRefused(events.ReasonReserveAccountClosed, 2*time.Second), dl, reversed(5*time.Second)),
		"presumed failure": seq(start(0), times(9, dl)),
		"duplicate":        seq(start(0), startAs("order-2", "hash-2", time.Second)),
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

// However often requests, replies and deadlines are redelivered and in
// whatever order, a payment records one payment.finished and channels see
// one outcome ID for its order.
func TestExactlyOneOutcomePerPayment(t *testing.T) {
	dl := deadline(txnID)
	for seed := uint64(1); seed <= 20; seed++ {
		x := newHarness(t)
		var sent []processor.Message
		for _, s := range seq(start(0), dl, debitStatus(events.LegDone, "", 2500*time.Millisecond), dl, dl, credited(5*time.Second)) {
			m := s(x)
			sent = append(sent, m)
			x.handle(m)
		}
		rng := rand.New(rand.NewPCG(seed, 0))
		ids := map[string]bool{}
		for range 50 {
			m := sent[rng.IntN(len(sent))]
			m.Time = m.Time.Add(time.Duration(rng.IntN(60)) * time.Second)
			for _, oc := range outcomes(t, x.handle(m)) {
				ids[oc.OutcomeID] = true
			}
		}
		for _, oc := range outcomes(t, x.handle(start(time.Hour)(x))) {
			ids[oc.OutcomeID] = true
		}
		finished := 0
		for _, env := range x.log {
			if env.Type == "payment.finished" {
				finished++
			}
		}
		if finished != 1 || len(ids) != 1 || !ids[events.DeriveID(txnID, "outcome")] {
			t.Fatalf("seed %d: %d payment.finished, outcome IDs %v; want one of each", seed, finished, ids)
		}
	}
}

func TestPaymentHandleIsPure(t *testing.T) {
	x := newHarness(t)
	x.handle(start(0)(x))
	before, _ := x.h.Payment(txnID)
	m := debited(time.Second)(x)
	a, errA := x.h.Handle(m)
	b, errB := x.h.Handle(m)
	after, _ := x.h.Payment(txnID)
	if errA != nil || errB != nil || paymentLine(before) != paymentLine(after) || before.Sequence != after.Sequence {
		t.Fatalf("Handle changed the state: %+v → %+v (%v, %v)", before, after, errA, errB)
	}
	if len(a.Events) != 1 || a.Events[0].ID != b.Events[0].ID || !bytes.Equal(a.Events[0].Payload, b.Events[0].Payload) {
		t.Fatalf("Handle is not deterministic: %v vs %v", a.Events, b.Events)
	}
}

func TestHandleErrors(t *testing.T) {
	x := newHarness(t)
	_, err := x.h.Handle(debited(0)(x))
	if !errors.Is(err, ErrUnknownSaga) {
		t.Errorf("reply for an unknown payment: %v, want ErrUnknownSaga", err)
	}
	_, err = x.h.Handle(fire("nobody", 0, 0)(x))
	if !errors.Is(err, ErrUnknownSaga) {
		t.Errorf("deadline for an unknown saga: %v, want ErrUnknownSaga", err)
	}
	_, err = x.h.Handle(x.msg(events.DebitPayer{TxnID: txnID, AgreementNo: "a", PayerKey: "k", ChannelID: "c", Amount: events.CNY("1")}, t0))
	if !errors.Is(err, ErrUnexpectedMessage) {
		t.Errorf("a payer-bank command: %v, want ErrUnexpectedMessage", err)
	}
}
