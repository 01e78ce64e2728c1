package reservebank

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/processor"
)

func debited(name string, i int, amount, after string) events.ReserveDebited {
	c := debitCmd(name, i, amount)
	return events.ReserveDebited{DebitID: c.DebitID, TxnID: c.TxnID, RefundID: c.RefundID, ReserveAccount: openAccount,
		SubAccount: sub(i), Amount: c.Amount, BalanceAfter: events.CNY(after)}
}

func refusedDebit(name, reason string) events.ReserveDebitRefused {
	c := debitCmd(name, 0, "1.00")
	return events.ReserveDebitRefused{DebitID: c.DebitID, TxnID: c.TxnID, RefundID: c.RefundID, ReasonCode: reason}
}

func debitReport(name string, attempt int, status, reason string) events.ReserveDebitStatusReported {
	c := debitCmd(name, 0, "1.00")
	return events.ReserveDebitStatusReported{DebitID: c.DebitID, TxnID: c.TxnID, RefundID: c.RefundID, Attempt: attempt, Status: status, ReasonCode: reason}
}

func reversed(name string, i int, amount, after string) events.ReserveDebitReversed {
	c := debitCmd(name, i, amount)
	return events.ReserveDebitReversed{DebitID: c.DebitID, TxnID: c.TxnID, RefundID: c.RefundID, SubAccount: sub(i),
		Amount: c.Amount, BalanceAfter: events.CNY(after)}
}

const (
	held     = "reserve.reserve_debit_held"
	started  = "reserve.borrow_started"
	lentEv   = "reserve.sub_account_lent"
	returned = "reserve.borrow_returned"
	debitEv  = "reserve.reserve_debited"
	refuseEv = "reserve.reserve_debit_refused"
	reverse  = "reserve.reserve_debit_reversed"
)

// TestDebitTransitions: given the sub-accounts' balances, when debits,
// queries and reversals arrive (internal messages delivered in order after
// each), then the replies, the events and the balances.
func TestDebitTransitions(t *testing.T) {
	insufficient := events.ReasonReserveInsufficient
	notReceived := events.ReasonNotReceivedByBank
	tests := []struct {
		name       string
		balances   []string
		when       func(w *ledgerWorld)
		want       []events.Payload // replies, in order
		wantEvents []string         // types recorded by when, in order; nil: not checked
		after      []string         // balances of sub-accounts 0..3
	}{
		{
			name: "covered: debited at once", balances: []string{"100.00", "0.00", "0.00", "0.00"},
			when: func(w *ledgerWorld) { w.debit("a", 0, "40.00") },
			want: []events.Payload{debited("a", 0, "40.00", "60.00")}, wantEvents: []string{debitEv},
			after: []string{"60.00", "0.00", "0.00", "0.00"},
		},
		{
			name: "short: siblings lend in ring order until it is covered", balances: []string{"10.00", "5.00", "0.00", "100.00"},
			when:       func(w *ledgerWorld) { w.debit("a", 0, "50.00"); w.pump() },
			want:       []events.Payload{debited("a", 0, "50.00", "0.00")},
			wantEvents: []string{held, started, lentEv, lentEv, lentEv, returned, debitEv},
			after:      []string{"0.00", "0.00", "0.00", "65.00"},
		},
		{
			name: "short: the round comes straight back once covered", balances: []string{"0.00", "100.00", "7.00", "7.00"},
			when:       func(w *ledgerWorld) { w.debit("a", 0, "50.00"); w.pump() },
			want:       []events.Payload{debited("a", 0, "50.00", "0.00")},
			wantEvents: []string{held, started, lentEv, returned, debitEv},
			after:      []string{"0.00", "50.00", "7.00", "7.00"},
		},
		{
			name: "the ring wraps: the last sub-account borrows from the first", balances: []string{"30.00", "0.00", "0.00", "0.00"},
			when:  func(w *ledgerWorld) { w.debit("a", 3, "20.00"); w.pump() },
			want:  []events.Payload{debited("a", 3, "20.00", "0.00")},
			after: []string{"10.00", "0.00", "0.00", "0.00"},
		},
		{
			name: "exactly the whole account: debited to zero", balances: []string{"10.00", "5.00", "0.00", "35.00"},
			when:  func(w *ledgerWorld) { w.debit("a", 0, "50.00"); w.pump() },
			want:  []events.Payload{debited("a", 0, "50.00", "0.00")},
			after: []string{"0.00", "0.00", "0.00", "0.00"},
		},
		{
			name: "whole account short: refused; what the siblings lent stays with the requester", balances: []string{"10.00", "5.00", "0.00", "20.00"},
			when:       func(w *ledgerWorld) { w.debit("a", 0, "50.00"); w.pump() },
			want:       []events.Payload{refusedDebit("a", insufficient)},
			wantEvents: []string{held, started, lentEv, lentEv, lentEv, returned, refuseEv},
			after:      []string{"35.00", "0.00", "0.00", "0.00"},
		},
		{
			// a's round asks for what a lacks (20.00); b and c, arriving
			// while it is out, wait behind a although the balance covers
			// b, and get rounds of their own after a is decided.
			name: "debits wait behind a round and are decided in arrival order", balances: []string{"30.00", "0.00", "0.00", "100.00"},
			when: func(w *ledgerWorld) {
				w.debit("a", 0, "50.00")
				w.debit("b", 0, "10.00") // covered by the balance, but a is ahead
				w.debit("c", 0, "200.00")
				w.pump()
			},
			want: []events.Payload{debited("a", 0, "50.00", "0.00"), debited("b", 0, "10.00", "70.00"), refusedDebit("c", insufficient)},
			wantEvents: []string{held, started, held, held, lentEv, lentEv, lentEv, returned, debitEv,
				started, lentEv, lentEv, lentEv, returned, debitEv,
				started, lentEv, lentEv, lentEv, returned, refuseEv},
			after: []string{"70.00", "0.00", "0.00", "0.00"},
		},
		{
			name: "a refused debit does not block a smaller one behind it", balances: []string{"0.00", "0.00", "0.00", "30.00"},
			when: func(w *ledgerWorld) {
				w.debit("a", 0, "50.00")
				w.debit("b", 0, "20.00")
				w.pump()
			},
			want:  []events.Payload{refusedDebit("a", insufficient), debited("b", 0, "20.00", "10.00")},
			after: []string{"10.00", "0.00", "0.00", "0.00"},
		},
		{
			name: "a redelivered debit gets its reply again", balances: []string{"100.00", "0.00", "0.00", "0.00"},
			when: func(w *ledgerWorld) { m := w.debit("a", 0, "40.00"); w.handle(m) },
			want: []events.Payload{debited("a", 0, "40.00", "60.00"), debited("a", 0, "40.00", "60.00")}, wantEvents: []string{debitEv},
			after: []string{"60.00", "0.00", "0.00", "0.00"},
		},

		// Queries.
		{
			name: "query of a debited debit: done", balances: []string{"100.00", "0.00", "0.00", "0.00"},
			when: func(w *ledgerWorld) { w.debit("a", 0, "40.00"); w.takeReplies(); w.handle(w.queryMsg("a", 0, 1)) },
			want: []events.Payload{debitReport("a", 1, events.LegDone, "")}, wantEvents: []string{debitEv},
			after: []string{"60.00", "0.00", "0.00", "0.00"},
		},
		{
			name: "query of a refused debit: refused with the reason", balances: []string{"1.00", "0.00", "0.00", "0.00"},
			when: func(w *ledgerWorld) {
				w.debit("a", 0, "40.00")
				w.pump()
				w.takeReplies()
				w.handle(w.queryMsg("a", 0, 2))
			},
			want:  []events.Payload{debitReport("a", 2, events.LegRefused, insufficient)},
			after: []string{"1.00", "0.00", "0.00", "0.00"},
		},
		{
			name: "query of a held debit: unknown, nothing recorded", balances: []string{"1.00", "0.00", "0.00", "0.00"},
			when: func(w *ledgerWorld) { w.debit("a", 0, "40.00"); w.handle(w.queryMsg("a", 0, 1)) },
			want: []events.Payload{debitReport("a", 1, events.LegUnknown, "")}, wantEvents: []string{held, started},
			after: []string{"1.00", "0.00", "0.00", "0.00"},
		},
		{
			name: "query of a reversed debit: reversed", balances: []string{"100.00", "0.00", "0.00", "0.00"},
			when: func(w *ledgerWorld) {
				w.debit("a", 0, "40.00")
				w.handle(w.reverseMsg("a", 0, 1))
				w.takeReplies()
				w.handle(w.queryMsg("a", 0, 3))
			},
			want: []events.Payload{debitReport("a", 3, events.LegReversed, "")}, wantEvents: []string{debitEv, reverse},
			after: []string{"100.00", "0.00", "0.00", "0.00"},
		},
		{
			name: "query of a never-received debit closes it; the late debit is refused", balances: []string{"100.00", "0.00", "0.00", "0.00"},
			when:       func(w *ledgerWorld) { w.handle(w.queryMsg("a", 0, 1)); w.debit("a", 0, "40.00") },
			want:       []events.Payload{debitReport("a", 1, events.LegRefused, notReceived), refusedDebit("a", notReceived)},
			wantEvents: []string{refuseEv},
			after:      []string{"100.00", "0.00", "0.00", "0.00"},
		},
		{
			name: "an unseen debit can be closed while others wait", balances: []string{"1.00", "0.00", "0.00", "0.00"},
			when:       func(w *ledgerWorld) { w.debit("b", 0, "40.00"); w.handle(w.queryMsg("a", 0, 1)); w.pump() },
			want:       []events.Payload{debitReport("a", 1, events.LegRefused, notReceived), refusedDebit("b", insufficient)},
			wantEvents: []string{held, started, refuseEv, lentEv, lentEv, lentEv, returned, refuseEv},
			after:      []string{"1.00", "0.00", "0.00", "0.00"},
		},

		// Reversals.
		{
			name: "reversal returns the debit to its sub-account", balances: []string{"10.00", "0.00", "0.00", "100.00"},
			when: func(w *ledgerWorld) {
				w.debit("a", 0, "50.00")
				w.pump()
				w.takeReplies()
				w.handle(w.reverseMsg("a", 0, 1))
			},
			want: []events.Payload{reversed("a", 0, "50.00", "50.00")}, after: []string{"50.00", "0.00", "0.00", "60.00"},
		},
		{
			name: "a second reversal gets the first reply and moves nothing", balances: []string{"100.00", "0.00", "0.00", "0.00"},
			when: func(w *ledgerWorld) {
				w.debit("a", 0, "40.00")
				w.takeReplies()
				w.handle(w.reverseMsg("a", 0, 1))
				w.handle(w.reverseMsg("a", 0, 2))
			},
			want:       []events.Payload{reversed("a", 0, "40.00", "100.00"), reversed("a", 0, "40.00", "100.00")},
			wantEvents: []string{debitEv, reverse}, after: []string{"100.00", "0.00", "0.00", "0.00"},
		},
		{
			name: "reversal of a never-received debit closes it and reports refused", balances: []string{"100.00", "0.00", "0.00", "0.00"},
			when: func(w *ledgerWorld) { w.handle(w.reverseMsg("a", 0, 1)) },
			want: []events.Payload{debitReport("a", 1, events.LegRefused, notReceived)}, wantEvents: []string{refuseEv},
			after: []string{"100.00", "0.00", "0.00", "0.00"},
		},
		{
			name: "reversal of a refused debit reports refused", balances: []string{"1.00", "0.00", "0.00", "0.00"},
			when: func(w *ledgerWorld) {
				w.debit("a", 0, "40.00")
				w.pump()
				w.takeReplies()
				w.handle(w.reverseMsg("a", 0, 1))
			},
			want:  []events.Payload{debitReport("a", 1, events.LegRefused, insufficient)},
			after: []string{"1.00", "0.00", "0.00", "0.00"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newLedgerWorld(t, banklink.Config{})
			w.balances(tt.balances...)
			from := len(w.log)
			tt.when(w)
			got := w.takeReplies()
			if !sameJSON(t, got, tt.want) {
				t.Errorf("replies\n%+v\nwant\n%+v", got, tt.want)
			}
			if tt.wantEvents != nil && !slices.Equal(w.eventTypes(from), tt.wantEvents) {
				t.Errorf("events %v\nwant   %v", w.eventTypes(from), tt.wantEvents)
			}
			w.wantBalances(tt.after...)
		})
	}
}

// TestContendedRounds: two sub-accounts short at once, each holding part
// of what one of them needs. The round of the lower priority gives way:
// one debit is paid, the other refused, and nothing is lost.
func TestContendedRounds(t *testing.T) {
	for _, order := range []string{"a first", "b first"} {
		t.Run(order, func(t *testing.T) {
			w := newLedgerWorld(t, banklink.Config{})
			w.balances("60.00", "50.00", "0.00", "0.00")
			if order == "a first" {
				w.debit("a", 0, "100.00")
				w.debit("b", 1, "100.00")
			} else {
				w.debit("b", 1, "100.00")
				w.debit("a", 0, "100.00")
			}
			w.pump()
			var paid, refused int
			for _, p := range w.takeReplies() {
				switch p.(type) {
				case events.ReserveDebited:
					paid++
				case events.ReserveDebitRefused:
					refused++
				}
			}
			if paid != 1 || refused != 1 {
				t.Fatalf("%d paid, %d refused; the account (110.00) can pay exactly one of two 100.00 debits", paid, refused)
			}
			total := events.ZeroCNY()
			for _, m := range w.b.Balances() {
				total, _ = total.Add(m)
			}
			if !total.Equal(events.CNY("10.00")) {
				t.Fatalf("the account holds %s after paying 100.00 of 110.00", total)
			}
		})
	}
}

// TestSingleSubAccount: with N = 1 there is nobody to borrow from.
func TestSingleSubAccount(t *testing.T) {
	factory, err := NewFactory(Config{Topics: Topics{SagaInbox: sagaInbox, ReserveInbox: reserveInbox}, SubAccounts: 1}, reg)
	if err != nil {
		t.Fatal(err)
	}
	w := &ledgerWorld{t: t, b: factory(0).(*Bank), now: t0}
	w.credit(0, "30.00")
	w.debit("a", 0, "50.00")
	w.debit("b", 0, "30.00")
	if got := w.takeReplies(); !sameJSON(t, got, []events.Payload{refusedDebit("a", events.ReasonReserveInsufficient), debited("b", 0, "30.00", "0.00")}) {
		t.Fatalf("replies %+v", got)
	}
	if len(w.inbox) != 0 {
		t.Fatalf("%d internal messages with a single sub-account", len(w.inbox))
	}
}

// TestDebitFaults applies the bank link's faults to refund debits as to
// credits: dropped requests, lost and delayed replies, unknown queries.
func TestDebitFaults(t *testing.T) {
	const latency = 300 * time.Millisecond
	t.Run("dropped debit never reaches the bank", func(t *testing.T) {
		w := newLedgerWorld(t, banklink.Config{TimeoutRate: 1})
		w.balances("100.00")
		from := len(w.log)
		w.debit("a", 0, "10.00")
		if len(w.log) != from || len(w.takeReplies()) != 0 {
			t.Fatal("a dropped debit was handled")
		}
		w.handle(w.queryMsg("a", 0, 1)) // queries are never dropped
		if got := w.takeReplies(); !sameJSON(t, got, []events.Payload{debitReport("a", 1, events.LegRefused, events.ReasonNotReceivedByBank)}) {
			t.Fatalf("query after a dropped debit: %+v", got)
		}
	})
	t.Run("lost reply: debited all the same, the redelivery is lost too", func(t *testing.T) {
		w := newLedgerWorld(t, banklink.Config{LostReplyRate: 1})
		w.balances("0.00", "100.00")
		m := w.debit("a", 0, "10.00")
		w.pump()
		w.handle(m)
		if got := w.takeReplies(); len(got) != 0 {
			t.Fatalf("replies %+v, want none", got)
		}
		w.wantBalances("0.00", "90.00")
		w.handle(w.queryMsg("a", 0, 1)) // query reports are not lost
		if got := w.takeReplies(); !sameJSON(t, got, []events.Payload{debitReport("a", 1, events.LegDone, "")}) {
			t.Fatalf("query: %+v", got)
		}
	})
	t.Run("latency delays the reply, also one decided when a round returns", func(t *testing.T) {
		w := newLedgerWorld(t, banklink.Config{LatencyMin: latency, LatencyMax: latency})
		w.balances("10.00", "100.00")
		w.debit("a", 0, "5.00") // at once
		w.debit("b", 0, "50.00")
		for w.step() {
		}
		if len(w.replies) != 2 {
			t.Fatalf("%d replies", len(w.replies))
		}
		// The second reply was sent when the round returned, the last
		// message handled: its delay counts from then.
		if got := w.replies[1].NotBefore; !got.Equal(w.now.Add(latency)) {
			t.Fatalf("reply NotBefore %v, want %v", got, w.now.Add(latency))
		}
		w.handle(w.queryMsg("b", 0, 1))
		if !w.replies[2].NotBefore.IsZero() {
			t.Fatal("a query report was delayed")
		}
	})
	t.Run("query answered unknown records nothing", func(t *testing.T) {
		w := newLedgerWorld(t, banklink.Config{QueryUnknownRate: 1})
		from := len(w.log)
		w.handle(w.queryMsg("a", 0, 1))
		if got := w.takeReplies(); len(w.log) != from || !sameJSON(t, got, []events.Payload{debitReport("a", 1, events.LegUnknown, "")}) {
			t.Fatalf("replies %+v, %d events", got, len(w.log)-from)
		}
	})
	t.Run("dropped reversal and lost reversal reply", func(t *testing.T) {
		for _, link := range []banklink.Config{{TimeoutRate: 1}, {LostReplyRate: 1}} {
			w := newLedgerWorld(t, link)
			w.handle(w.reverseMsg("a", 0, 1))
			if len(w.takeReplies()) != 0 {
				t.Fatalf("%+v: reversal answered", link)
			}
		}
	})
}

// TestFundingSpread: a funding is recorded under the account and spread
// over the sub-accounts, to the fen; repeats re-send the same shares.
func TestFundingSpread(t *testing.T) {
	w := newLedgerWorld(t, banklink.Config{})
	fund := w.message(openAccount, events.DeriveID("fund", "F1"), events.FundReserve{FundingID: "F1", ReserveAccount: openAccount, Amount: events.CNY("1000.03")})
	out := w.handle(fund)
	if len(out.Events) != 1 || out.Events[0].Type != "reserve.reserve_funded" || out.Events[0].AggregateID != openAccount || out.Events[0].Sequence != 1 {
		t.Fatalf("events %+v", out.Events)
	}
	checkShares(t, out.Messages, openAccount, events.SubCreditFunding, "F1", "1000.03")
	w.pump()
	w.wantBalances("250.01", "250.01", "250.01", "250.00")
	if got := w.b.Funded(openAccount); !got.Equal(events.CNY("1000.03")) {
		t.Fatalf("Funded %s", got)
	}

	again := w.handle(fund)
	if len(again.Events) != 0 || !sameJSON(t, again.Messages, out.Messages) {
		t.Fatal("a redelivered funding did not re-send the same shares only")
	}
	w.pump() // the shares again: each sub-account ignores its own
	w.wantBalances("250.01", "250.01", "250.01", "250.00")

	// A summarized posting shares the account's sequence and is spread too.
	post := w.handle(summaryOf(t, openAccount, "B1", t0, "4.00", 2))
	if len(post.Events) != 1 || post.Events[0].Sequence != 2 {
		t.Fatalf("posting after a funding: %+v", post.Events)
	}
	checkShares(t, post.Messages, openAccount, events.SubCreditSummary, "B1", "4.00")
	w.pump()
	w.wantBalances("251.01", "251.01", "251.01", "251.00")

	for name, tc := range map[string]struct {
		m    processor.Message
		want error
	}{
		"other amount": {w.message(openAccount, "x1", events.FundReserve{FundingID: "F1", ReserveAccount: openAccount, Amount: events.CNY("1.00")}), ErrFundingConflict},
		"zero amount":  {w.message(openAccount, "x2", events.FundReserve{FundingID: "F2", ReserveAccount: openAccount, Amount: events.CNY("0.00")}), nil},
		"no ID":        {w.message(openAccount, "x3", events.FundReserve{ReserveAccount: openAccount, Amount: events.CNY("1.00")}), nil},
		"misrouted":    {w.message(tenpayAccount, "x4", events.FundReserve{FundingID: "F3", ReserveAccount: openAccount, Amount: events.CNY("1.00")}), nil},
	} {
		_, err := w.b.Handle(tc.m)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.HasPrefix(err.Error(), "reservebank: ") {
			t.Errorf("%s: error %v", name, err)
		}
	}
}

// TestRedeliveredInternalMessages: every message of a round, a share, a
// query, redelivered after its effects were folded, records nothing and
// re-sends byte for byte what it sent the first time.
func TestRedeliveredInternalMessages(t *testing.T) {
	w := newLedgerWorld(t, banklink.Config{Seed: 3, LatencyMin: time.Millisecond, LatencyMax: 9 * time.Millisecond})
	w.balances("10.00", "5.00", "0.00", "100.00")
	var handled []processor.Message
	keep := func(m processor.Message) { handled = append(handled, m) }
	keep(w.debit("a", 0, "50.00"))
	keep(w.debit("b", 0, "200.00"))
	for len(w.inbox) > 0 {
		keep(w.inbox[0])
		w.step()
	}
	keep(w.queryMsg("a", 0, 1))
	w.handle(handled[len(handled)-1])
	keep(w.reverseMsg("a", 0, 1))
	w.handle(handled[len(handled)-1])
	if len(handled) < 10 {
		t.Fatalf("only %d messages", len(handled))
	}
	for _, m := range handled {
		first := w.b
		out1, err := first.Handle(m)
		if err != nil {
			t.Fatal(err)
		}
		out2, err := first.Handle(m)
		if err != nil {
			t.Fatal(err)
		}
		if len(out1.Events) != 0 {
			t.Fatalf("%s redelivered recorded %d events", m.Envelope.Type, len(out1.Events))
		}
		if !sameRecords(out1.Messages, out2.Messages) {
			t.Fatalf("%s: two redeliveries differ", m.Envelope.Type)
		}
	}
	// What a round's return sent is what it sends again: the replies to
	// the debits it decided and the next round.
	var ret processor.Message
	for _, m := range handled {
		if c, ok := m.Payload.(events.BorrowFromSibling); ok && c.Requester == c.SubAccount {
			ret = m
			break
		}
	}
	fresh := newLedgerWorld(t, banklink.Config{Seed: 3, LatencyMin: time.Millisecond, LatencyMax: 9 * time.Millisecond})
	fresh.balances("10.00", "5.00", "0.00", "100.00")
	fresh.debit("a", 0, "50.00")
	fresh.debit("b", 0, "200.00")
	var firstOut processor.Output
	for len(fresh.inbox) > 0 {
		m := fresh.inbox[0]
		if m.Envelope.ID == ret.Envelope.ID {
			fresh.inbox = fresh.inbox[1:]
			firstOut = fresh.handle(m)
			break
		}
		fresh.step()
	}
	againOut, err := fresh.b.Handle(ret)
	if err != nil {
		t.Fatal(err)
	}
	if len(firstOut.Messages) < 2 || !sameRecords(againOut.Messages, firstOut.Messages) {
		t.Fatalf("a redelivered return sent %d messages, the first %d", len(againOut.Messages), len(firstOut.Messages))
	}
}

func TestSubAccountCommandErrors(t *testing.T) {
	w := newLedgerWorld(t, banklink.Config{})
	beyond := debitCmd("a", 0, "1.00")
	beyond.SubAccount = events.SubAccountKey(openAccount, nSubs)
	other := debitCmd("a", 0, "1.00")
	other.ReserveAccount = tenpayAccount
	zero := debitCmd("a", 0, "1.00")
	zero.Amount = events.CNY("0.00")
	ring := events.BorrowFromSibling{BorrowID: "r", ReserveAccount: openAccount, SubAccount: sub(1), Requester: sub(0),
		SubAccounts: nSubs + 1, Priority: "p", Hop: 1, Need: events.CNY("1.00"), Carried: events.ZeroCNY()}
	unknownRound := ring
	unknownRound.SubAccounts, unknownRound.SubAccount = nSubs, sub(0)
	for name, m := range map[string]processor.Message{
		"sub-account beyond the configured count": w.message(beyond.SubAccount, "e1", beyond),
		"sub-account of another account":          w.message(other.SubAccount, "e2", other),
		"zero debit":                              w.message(sub(0), "e3", zero),
		"misrouted debit":                         w.message(sub(1), "e4", debitCmd("a", 0, "1.00")),
		"round over another sub-account count":    w.message(sub(1), "e5", ring),
		"return of a round that is not out":       w.message(sub(0), "e6", unknownRound),
		"not a sub-account key":                   w.message("RSV", "e7", events.QueryReserveDebit{DebitID: "d", TxnID: "t", SubAccount: "RSV"}),
	} {
		if out, err := w.b.Handle(m); err == nil || !strings.HasPrefix(err.Error(), "reservebank: ") {
			t.Errorf("%s: error %v, output %+v", name, err, out)
		}
	}
}

func TestApplyRefusesACorruptSubAccount(t *testing.T) {
	envelope := func(seq uint64, p events.Payload) events.Envelope {
		env, err := reg.New(sub(0), seq, p, events.Meta{ID: events.DeriveID("corrupt", p.EventType(), string(rune('0'+seq))), CorrelationID: "c", CausationID: "c", OccurredAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	credit := events.SubAccountCredited{TransferID: "s1", ReserveAccount: openAccount, SubAccount: sub(0), Source: events.SubCreditFunding,
		SourceID: "F", Amount: events.CNY("10.00"), BalanceAfter: events.CNY("10.00")}
	tests := map[string]struct {
		env events.Envelope
		p   events.Payload
	}{
		"debit below zero":       {envelope(2, debited("a", 0, "20.00", "-10.00")), debited("a", 0, "20.00", "-10.00")},
		"balance does not chain": {envelope(2, debited("a", 0, "2.00", "9.00")), debited("a", 0, "2.00", "9.00")},
		"sequence gap":           {envelope(3, debited("a", 0, "2.00", "8.00")), debited("a", 0, "2.00", "8.00")},
		"share twice":            {envelope(2, credit), credit},
		"reversal of nothing":    {envelope(2, reversed("a", 0, "1.00", "11.00")), reversed("a", 0, "1.00", "11.00")},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			b := newBank(t, banklink.Config{})
			b.Apply(envelope(1, credit), credit)
			b.Apply(envelope(1, credit), credit) // a second owner's copy: ignored
			defer func() {
				if recover() == nil {
					t.Fatal("Apply accepted a corrupt log")
				}
			}()
			b.Apply(tt.env, tt.p)
		})
	}
}

// sameRecords compares records by topic, key and bytes. Their delay is
// left out: it counts from the time of the message answered.
func sameRecords(a, b []processor.Outbound) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Topic != b[i].Topic || a[i].Key != b[i].Key || string(a[i].Value) != string(b[i].Value) {
			return false
		}
	}
	return true
}

// Without Config.SubAccounts the bank has DefaultSubAccounts of them.
func TestDefaultSubAccounts(t *testing.T) {
	factory, err := NewFactory(Config{Topics: Topics{SagaInbox: sagaInbox, ReserveInbox: reserveInbox}}, reg)
	if err != nil {
		t.Fatal(err)
	}
	b := factory(0).(*Bank)
	w := &ledgerWorld{t: t, b: b, now: t0}
	last := events.SubAccountKey(openAccount, DefaultSubAccounts-1)
	if _, err := b.Handle(w.message(last, "q last", events.QueryReserveDebit{DebitID: "d", TxnID: "t", SubAccount: last})); err != nil {
		t.Fatalf("sub-account %d of %d refused: %v", DefaultSubAccounts-1, DefaultSubAccounts, err)
	}
	beyond := events.SubAccountKey(openAccount, DefaultSubAccounts)
	if _, err := b.Handle(w.message(beyond, "q beyond", events.QueryReserveDebit{DebitID: "d", TxnID: "t", SubAccount: beyond})); err == nil {
		t.Fatalf("sub-account %d accepted with %d configured", DefaultSubAccounts, DefaultSubAccounts)
	}
}
