package app_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/bankadmin"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/logscan"
	"github.com/paycore/paycore/services/topology"
)

// fundReserve wires amount into a channel's reserve account.
func (h *harness) fundReserve(reserveAccount, id, amount string) {
	h.t.Helper()
	err := bankadmin.FundReservesVia(h.ctx, h.cfg.Kafka.Brokers, h.cfg.Kafka.Connector, h.cfg.Kafka.Topology.Name(topology.ResInbox),
		[]bankadmin.Funding{{ID: id, ReserveAccount: reserveAccount, Amount: events.CNY(amount)}})
	if err != nil {
		h.t.Fatal(err)
	}
}

// TestSameCustomerRefundBurst is the seed's bulk-refund incident: an
// institution pushes a pile of accepted refunds for ONE customer at once.
// 1,000 refunds of 4 payments of one customer, published together (their
// Kafka timestamps within 30 ms), must all succeed, each payment's
// remainder counted exactly (one more cent per payment is refused), the
// customer's account credited 1,000 times without a lost update, and the
// reserve account, split into sub-accounts on several partitions, never
// below zero. The audit then replays every balance from the log.
func TestSameCustomerRefundBurst(t *testing.T) {
	cfg := newConfig(t, 3)
	// The burst is about counting, not deadlines: a thousand refunds on a
	// busy CI machine must not be presumed before the banks answer.
	cfg.Saga.LegTimeout, cfg.Saga.QueryInterval = 10*time.Second, time.Second
	cfg.Saga.PayerFinalTimeout, cfg.Saga.ReserveFinalTimeout = 60*time.Second, 60*time.Second
	h := startHarness(t, cfg)
	const (
		channelID = "burst"
		payments  = 4
		perPay    = 250 // refunds of 1.00 per payment of 250.00
	)
	reserve := "RSV-" + channelID
	acc := h.openAccount("6222020200009001", "1000.00")
	agr := h.sign(channelID, acc, "1000.00", "5000.00")
	// Less than the payments bring in, and posted summaries come only
	// with clearing: the sub-accounts must lend to each other.
	h.fundReserve(reserve, "burst-funding-1", "1200.00")

	txns := make([]string, payments)
	for i := range txns {
		out := h.pay(channelID, agr, "250.00")
		if out.Status != events.StatusSuccess {
			t.Fatalf("payment %d: %s %s", i, out.Status, out.ReasonCode)
		}
		txns[i] = out.TransactionID
	}

	var reqs []events.Request
	var orders []string
	for i := range perPay {
		for p, txn := range txns {
			order := "refund-" + strconv.Itoa(p) + "-" + strconv.Itoa(i)
			reqs = append(reqs, channel.Refund(channelID, order, order, txn, events.CNY("1.00")))
			orders = append(orders, order)
		}
	}
	// One cent more than each payment's remainder, sent with the burst:
	// whenever it is decided, the 250 refunds and it cannot all fit.
	var overs []string
	for p, txn := range txns {
		order := "refund-over-" + strconv.Itoa(p)
		reqs = append(reqs, channel.Refund(channelID, order, order, txn, events.CNY("0.01")))
		overs = append(overs, order)
	}
	sentAt := time.Now()
	h.send(reqs...)
	t.Logf("published %d refund requests in %v", len(reqs), time.Since(sentAt))
	if span := h.requestSpan(len(reqs)); span > 30*time.Millisecond {
		t.Fatalf("the burst's Kafka timestamps span %v: not the 30 ms burst this test is about", span)
	}

	succeeded, refused := 0, 0
	refunded := map[string]events.Money{} // per payment: successful refunds
	refusedAmount := map[string]events.Money{}
	total := events.ZeroCNY()
	for _, o := range append(orders, overs...) {
		out := h.wait(o, channel.Final)
		var err error
		switch {
		case out.Status == events.StatusSuccess:
			succeeded++
			refunded[out.TransactionID], err = moneyOrZero(refunded, out.TransactionID).Add(*out.Amount)
			if err == nil {
				total, err = total.Add(*out.Amount)
			}
		case out.Status == events.StatusRejected && out.ReasonCode == events.ReasonRefundExceedsOriginal:
			refused++
			refusedAmount[out.TransactionID] = *out.Amount
		default:
			t.Errorf("refund %s: %s %s", o, out.Status, out.ReasonCode)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("refunds: %d succeeded, %d refused as exceeding the original, %v after publishing", succeeded, refused, time.Since(sentAt))
	// Each payment's 251 requests cannot all fit: exactly one is refused,
	// whichever came last, and what succeeded never exceeds 250.00 while
	// adding the refused one would (250 × 1.00, or 249 × 1.00 + 0.01 when
	// the cent was decided early).
	original := events.CNY("250.00")
	if refused != payments || succeeded != len(reqs)-payments {
		t.Fatalf("%d succeeded and %d refused of %d; want exactly one refused per payment", succeeded, refused, len(reqs))
	}
	for _, txn := range txns {
		got := moneyOrZero(refunded, txn)
		over, err := got.Add(moneyOrZero(refusedAmount, txn))
		if err != nil || got.Cmp(original) > 0 || over.Cmp(original) <= 0 {
			t.Errorf("payment %s: refunded %s, refused %s: the remainder was not counted exactly", txn, got, refusedAmount[txn])
		}
	}

	rep := h.audit()
	if rep.Refunds != succeeded || rep.RefundStatuses[events.StatusSuccess] != succeeded {
		t.Errorf("audit counts %d refunds (%v), want %d successful", rep.Refunds, rep.RefundStatuses, succeeded)
	}
	if !rep.RefundedTotal.Equal(total) {
		t.Errorf("reserve debits standing %s, refund outcomes %s", rep.RefundedTotal, total)
	}
	back, err := rep.CustomerTotal.Add(rep.ReserveTotal)
	if err != nil || !back.Equal(rep.OpeningTotal) || !rep.SuspenseTotal.IsZero() {
		t.Errorf("customer %s + reserve %s (suspense %s) != opening %s", rep.CustomerTotal, rep.ReserveTotal, rep.SuspenseTotal, rep.OpeningTotal)
	}
}

func moneyOrZero(m map[string]events.Money, k string) events.Money {
	if v, ok := m[k]; ok {
		return v
	}
	return events.ZeroCNY()
}

// requestSpan returns how far apart the Kafka timestamps of the last n
// records of the requests topic are.
func (h *harness) requestSpan(n int) time.Duration {
	h.t.Helper()
	var times []time.Time
	err := logscan.Scan(h.ctx, h.cfg.Kafka.Brokers, h.cfg.Kafka.Connector, h.cfg.Kafka.Topology.Name(topology.Requests),
		func(m kafka.Message) error {
			times = append(times, m.Time)
			return nil
		})
	if err != nil {
		h.t.Fatal(err)
	}
	slices.SortFunc(times, time.Time.Compare)
	if len(times) < n {
		h.t.Fatalf("%d requests on the topic, want at least %d", len(times), n)
	}
	last := times[len(times)-n:]
	return last[len(last)-1].Sub(last[0])
}
