package saga

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// Refund scenarios run against the payment txnID (12.34, reserve-1),
// paid at 2 s by paidSteps().

func refundID(k string) string { return events.DeriveID("test", "refund", k) }

func refundReq(k, amount string) events.StartRefund {
	return events.StartRefund{
		RefundID: refundID(k), TxnID: txnID, ChannelID: "chan-1", OrderID: "order-r" + k,
		IdempotencyKey: "idem-r" + k, BodyHash: "hash-r" + k + "-" + amount, Amount: events.CNY(amount),
	}
}

func paidSteps() []step { return seq(start(0), debited(time.Second), credited(2*time.Second)) }

func refundStart(k, amount string, d time.Duration) step {
	return func(x *harness) processor.Message { return x.msg(refundReq(k, amount), at(d)) }
}

func refundReply(p func(id, debitID, creditID string) events.Payload, k string, d time.Duration) step {
	return func(x *harness) processor.Message {
		id := refundID(k)
		return x.msg(p(id, events.DeriveID(id, "debit_reserve"), events.DeriveID(id, "credit_payer")), at(d))
	}
}

func rDebited(k string, d time.Duration) step {
	return refundReply(func(id, debitID, _ string) events.Payload {
		return events.ReserveDebited{DebitID: debitID, TxnID: txnID, RefundID: id, ReserveAccount: "reserve-1",
			SubAccount: "reserve-1#0", Amount: events.CNY("1"), BalanceAfter: events.CNY("9")}
	}, k, d)
}

func rDebitRefused(k, reason string, d time.Duration) step {
	return refundReply(func(id, debitID, _ string) events.Payload {
		return events.ReserveDebitRefused{DebitID: debitID, TxnID: txnID, RefundID: id, ReasonCode: reason}
	}, k, d)
}

func rDebitStatus(k, status string, d time.Duration) step {
	return refundReply(func(id, debitID, _ string) events.Payload {
		return events.ReserveDebitStatusReported{DebitID: debitID, TxnID: txnID, RefundID: id, Attempt: 1, Status: status}
	}, k, d)
}

func rCredited(k string, d time.Duration) step {
	return refundReply(func(id, _, creditID string) events.Payload {
		return events.PayerCredited{CreditID: creditID, TxnID: txnID, RefundID: id, Amount: events.CNY("1"), BalanceAfter: events.CNY("9")}
	}, k, d)
}

func rCreditRefused(k string, d time.Duration) step {
	return refundReply(func(id, _, creditID string) events.Payload {
		return events.PayerCreditRefused{CreditID: creditID, TxnID: txnID, RefundID: id, ReasonCode: events.ReasonAccountNotFound}
	}, k, d)
}

func rCreditStatus(k, status string, d time.Duration) step {
	return refundReply(func(id, _, creditID string) events.Payload {
		return events.PayerCreditStatusReported{CreditID: creditID, TxnID: txnID, RefundID: id, Attempt: 1, Status: status,
			ReasonCode: events.ReasonAccountNotFound}
	}, k, d)
}

func rReturned(k string, d time.Duration) step {
	return refundReply(func(id, debitID, _ string) events.Payload {
		return events.ReserveDebitReversed{DebitID: debitID, TxnID: txnID, RefundID: id, SubAccount: "reserve-1#0",
			Amount: events.CNY("1"), BalanceAfter: events.CNY("10")}
	}, k, d)
}

// rDeadline fires refund k's current deadline when it is due.
func rDeadline(k string) step {
	return func(x *harness) processor.Message {
		x.t.Helper()
		id := refundID(k)
		for _, v := range mustRefunds(x) {
			if v.RefundID == id && v.Step != "" {
				dl := x.h.payments[txnID].refundOf(id).run.deadline
				return x.msg(events.FireDeadline{SagaID: id, Deadline: dl}, dl)
			}
		}
		x.t.Fatalf("refund %s has no deadline", k)
		return processor.Message{}
	}
}

func mustRefunds(x *harness) []RefundView {
	x.t.Helper()
	v, ok := x.h.Refunds(txnID)
	if !ok {
		x.t.Fatal("no payment")
	}
	return v
}

func refundLine(v RefundView) string {
	if v.Status != "" {
		return strings.Join(strings.Fields(v.Status+" "+v.ReasonCode+" reserve="+v.ReserveDebit+" payer="+v.PayerCredited), " ")
	}
	return v.Step + " #" + strconv.Itoa(v.Attempt)
}

func TestRefundTransitions(t *testing.T) {
	const (
		short   = events.ReasonReserveInsufficient
		notRecv = events.ReasonNotReceivedByBank
	)
	r1 := rDeadline("1")
	// The refund starts at 3 s: reserve final deadline 13 s (first
	// deadline 5 s, then queries 6..13: 8 more); after a debit at 4 s the
	// credit's final deadline is 14 s (first deadline 6 s, queries 7..14).
	cases := []struct {
		name  string
		given []step
		when  step
		then  []string
		view  string // refund "1", "" when it does not exist
	}{
		// The way to success.
		{"refund of a paid payment: debit the reserve sub-account", paidSteps(), refundStart("1", "5", 3*time.Second),
			[]string{"refund.started", "→ reserve.debit_reserve"}, "await_reserve_debit #0"},
		{"reserve debited: credit the customer", seq(paidSteps(), refundStart("1", "5", 3*time.Second)), rDebited("1", 4*time.Second),
			[]string{"refund.step_changed await_payer_credit #0", "→ payer.credit_payer"}, "await_payer_credit #0"},
		{"customer credited: success", seq(paidSteps(), refundStart("1", "5", 3*time.Second), rDebited("1", 4*time.Second)), rCredited("1", 5*time.Second),
			[]string{"refund.finished success reserve=yes payer=yes", "outcome success order-r1"}, "success reserve=yes payer=yes"},

		// Refusals and the compensation.
		{"reserve short: failure", seq(paidSteps(), refundStart("1", "5", 3*time.Second)), rDebitRefused("1", short, 4*time.Second),
			[]string{"refund.finished failure insufficient_reserve_funds reserve=no payer=no", "outcome failure insufficient_reserve_funds order-r1"},
			"failure insufficient_reserve_funds reserve=no payer=no"},
		{"payer refuses the credit: return the debit", seq(paidSteps(), refundStart("1", "5", 3*time.Second), rDebited("1", 4*time.Second)),
			rCreditRefused("1", 5*time.Second),
			[]string{"refund.step_changed await_reserve_return #1", "→ reserve.reverse_debit #1"}, "await_reserve_return #1"},
		{"debit returned: failure with the payer's reason", seq(paidSteps(), refundStart("1", "5", 3*time.Second), rDebited("1", 4*time.Second),
			rCreditRefused("1", 5*time.Second)), rReturned("1", 6*time.Second),
			[]string{"refund.finished failure account_not_found reserve=no payer=no", "outcome failure account_not_found order-r1"},
			"failure account_not_found reserve=no payer=no"},
		{"return unanswered: re-sent, never presumed", seq(paidSteps(), refundStart("1", "5", 3*time.Second), rDebited("1", 4*time.Second),
			rCreditRefused("1", 5*time.Second)), r1,
			[]string{"refund.step_changed await_reserve_return #2", "→ reserve.reverse_debit #2"}, "await_reserve_return #2"},
		{"return confirmed by a status answer", seq(paidSteps(), refundStart("1", "5", 3*time.Second), rDebited("1", 4*time.Second),
			rCreditRefused("1", 5*time.Second)), rDebitStatus("1", events.LegReversed, 6*time.Second),
			[]string{"refund.finished failure account_not_found reserve=no payer=no", "outcome failure account_not_found order-r1"},
			"failure account_not_found reserve=no payer=no"},

		// Timeouts, status queries, presumed statuses.
		{"reserve silent: query", seq(paidSteps(), refundStart("1", "5", 3*time.Second)), r1,
			[]string{"refund.step_changed query_reserve_debit #1", "→ reserve.query_debit #1"}, "query_reserve_debit #1"},
		{"query unknown: wait", seq(paidSteps(), refundStart("1", "5", 3*time.Second), r1), rDebitStatus("1", events.LegUnknown, 5500*time.Millisecond),
			nil, "query_reserve_debit #1"},
		{"query done: credit the customer", seq(paidSteps(), refundStart("1", "5", 3*time.Second), r1), rDebitStatus("1", events.LegDone, 5500*time.Millisecond),
			[]string{"refund.step_changed await_payer_credit #0", "→ payer.credit_payer"}, "await_payer_credit #0"},
		{"query refused (never received): failure", seq(paidSteps(), refundStart("1", "5", 3*time.Second), r1),
			rDebitStatus("1", events.LegRefused, 5500*time.Millisecond),
			[]string{"refund.finished failure not_received_by_bank reserve=no payer=no", "outcome failure not_received_by_bank order-r1"},
			"failure not_received_by_bank reserve=no payer=no"},
		{"reserve unknown at its final deadline: presumed failure", seq(paidSteps(), refundStart("1", "5", 3*time.Second), times(8, r1)), r1,
			[]string{"refund.finished presumed_failure reserve_debit_unknown reserve=unknown payer=no",
				"outcome presumed_failure reserve_debit_unknown order-r1"},
			"presumed_failure reserve_debit_unknown reserve=unknown payer=no"},
		{"payer silent: query the credit", seq(paidSteps(), refundStart("1", "5", 3*time.Second), rDebited("1", 4*time.Second)), r1,
			[]string{"refund.step_changed query_payer_credit #1", "→ payer.query_credit #1"}, "query_payer_credit #1"},
		{"credit query done: success", seq(paidSteps(), refundStart("1", "5", 3*time.Second), rDebited("1", 4*time.Second), r1),
			rCreditStatus("1", events.LegDone, 6500*time.Millisecond),
			[]string{"refund.finished success reserve=yes payer=yes", "outcome success order-r1"}, "success reserve=yes payer=yes"},
		{"credit query refused: return the debit", seq(paidSteps(), refundStart("1", "5", 3*time.Second), rDebited("1", 4*time.Second), r1),
			rCreditStatus("1", events.LegRefused, 6500*time.Millisecond),
			[]string{"refund.step_changed await_reserve_return #1", "→ reserve.reverse_debit #1"}, "await_reserve_return #1"},
		{"credit unknown at its final deadline: presumed success", seq(paidSteps(), refundStart("1", "5", 3*time.Second), rDebited("1", 4*time.Second),
			times(8, r1)), r1,
			[]string{"refund.finished presumed_success payer_credit_unknown reserve=yes payer=unknown",
				"outcome presumed_success payer_credit_unknown order-r1"},
			"presumed_success payer_credit_unknown reserve=yes payer=unknown"},
		{"stale deadline: nothing", seq(paidSteps(), refundStart("1", "5", 3*time.Second), rDebited("1", 4*time.Second)),
			func(x *harness) processor.Message {
				return x.msg(events.FireDeadline{SagaID: refundID("1"), Deadline: at(5 * time.Second)}, at(7*time.Second))
			}, nil, "await_payer_credit #0"},
		{"late debit reply after the end: ignored", seq(paidSteps(), refundStart("1", "5", 3*time.Second), rDebitRefused("1", short, 4*time.Second)),
			rDebited("1", 5*time.Second), nil, "failure insufficient_reserve_funds reserve=no payer=no"},

		// What the payment refuses.
		{"refund of an unknown payment: rejected, nothing recorded", nil, refundStart("1", "5", 3*time.Second),
			[]string{"outcome rejected payment_not_found order-r1", "reject payment_not_found order-r1"}, ""},
		{"refund of a running payment: not refundable", seq(start(0)), refundStart("1", "5", 3*time.Second),
			[]string{"refund.rejected payment_not_refundable", "outcome rejected payment_not_refundable order-r1", "reject payment_not_refundable order-r1"},
			"rejected payment_not_refundable reserve= payer="},
		{"refund of a failed payment: not refundable", seq(start(0), debitRefused(events.ReasonInsufficientFunds, time.Second)),
			refundStart("1", "5", 3*time.Second),
			[]string{"refund.rejected payment_not_refundable", "outcome rejected payment_not_refundable order-r1", "reject payment_not_refundable order-r1"},
			"rejected payment_not_refundable reserve= payer="},
		{"more than the payment: rejected", paidSteps(), refundStart("1", "12.35", 3*time.Second),
			[]string{"refund.rejected refund_exceeds_original", "outcome rejected refund_exceeds_original order-r1", "reject refund_exceeds_original order-r1"},
			"rejected refund_exceeds_original reserve= payer="},
		{"exactly the payment: accepted", paidSteps(), refundStart("1", "12.34", 3*time.Second),
			[]string{"refund.started", "→ reserve.debit_reserve"}, "await_reserve_debit #0"},
		{"a running refund holds its amount", seq(paidSteps(), refundStart("2", "10", 3*time.Second)), refundStart("1", "2.35", 4*time.Second),
			[]string{"refund.rejected refund_exceeds_original", "outcome rejected refund_exceeds_original order-r1", "reject refund_exceeds_original order-r1"},
			"rejected refund_exceeds_original reserve= payer="},
		{"a failed refund released its amount", seq(paidSteps(), refundStart("2", "10", 3*time.Second), rDebitRefused("2", short, 4*time.Second)),
			refundStart("1", "12.34", 5*time.Second),
			[]string{"refund.started", "→ reserve.debit_reserve"}, "await_reserve_debit #0"},
		{"another channel's payment: rejected", paidSteps(), func(x *harness) processor.Message {
			c := refundReq("1", "5")
			c.ChannelID = "chan-2"
			return x.msg(c, at(3*time.Second))
		}, []string{"refund.rejected refund_other_channel", "outcome rejected refund_other_channel order-r1", "reject refund_other_channel order-r1"},
			"rejected refund_other_channel reserve= payer="},

		// Repeats.
		{"same refund request while running: re-send the step's command", seq(paidSteps(), refundStart("1", "5", 3*time.Second)),
			refundStart("1", "5", 3500*time.Millisecond), []string{"→ reserve.debit_reserve"}, "await_reserve_debit #0"},
		{"same refund request after the end: re-send the outcome", seq(paidSteps(), refundStart("1", "5", 3*time.Second), rDebitRefused("1", short, 4*time.Second)),
			refundStart("1", "5", time.Minute), []string{"outcome failure insufficient_reserve_funds order-r1"},
			"failure insufficient_reserve_funds reserve=no payer=no"},
		{"same rejected request: the same rejection outcome", seq(paidSteps(), refundStart("1", "20", 3*time.Second)),
			refundStart("1", "20", time.Minute), []string{"outcome rejected refund_exceeds_original order-r1"},
			"rejected refund_exceeds_original reserve= payer="},
		{"same key, other body: rejected, the refund goes on", seq(paidSteps(), refundStart("1", "5", 3*time.Second)),
			func(x *harness) processor.Message {
				c := refundReq("1", "6")
				c.OrderID = "order-r1-again"
				return x.msg(c, at(4*time.Second))
			},
			[]string{"refund.rejected duplicate_key_different_body", "outcome rejected duplicate_key_different_body order-r1-again",
				"reject duplicate_key_different_body order-r1-again"}, "await_reserve_debit #0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := newHarness(t)
			for _, g := range tc.given {
				x.handle(g(x))
			}
			equalLines(t, x.lines(x.handle(tc.when(x))), tc.then)
			got := ""
			if vs, ok := x.h.Refunds(txnID); ok {
				for _, v := range vs {
					if v.RefundID == refundID("1") {
						got = refundLine(v)
					}
				}
			}
			if got != tc.view {
				t.Errorf("refund is %q, want %q", got, tc.view)
			}
		})
	}
}
