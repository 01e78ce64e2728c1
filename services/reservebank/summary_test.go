package reservebank

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/processor"
)

func posted(account, batch, amount string, credits int, after string) events.ReserveSummaryPosted {
	return events.ReserveSummaryPosted{ReserveAccount: account, BatchID: batch, Amount: events.CNY(amount), Credits: credits,
		BalanceAfter: events.CNY(after)}
}

func TestSummaryPostings(t *testing.T) {
	b1 := summaryOf(t, openAccount, "B1", t0, "128.50", 2)
	b2 := summaryOf(t, openAccount, "B2", t0.Add(time.Hour), "71.50", 1)
	misrouted := summaryOf(t, openAccount, "B9", t0, "1.00", 1)
	misrouted.Envelope.AggregateID = tenpayAccount
	tests := []struct {
		name  string
		link  banklink.Config
		given []processor.Message
		when  processor.Message
		// then: the event recorded (nil: none) at its sequence, or the
		// error wanted ("" none), and the balances after.
		want       events.Payload
		wantSeq    uint64
		wantShares string // the amount spread over the sub-accounts; "" none
		wantErr    error
		wantText   string
		balances   map[string]string
	}{
		{name: "first posting: the balance is its amount", when: b1,
			want: posted(openAccount, "B1", "128.50", 2, "128.50"), wantSeq: 1, wantShares: "128.50", balances: map[string]string{openAccount: "128.50"}},
		{name: "next batch: the balance chains", given: []processor.Message{b1}, when: b2,
			want: posted(openAccount, "B2", "71.50", 1, "200.00"), wantSeq: 2, wantShares: "71.50", balances: map[string]string{openAccount: "200.00"}},
		{name: "accounts have balances of their own", given: []processor.Message{b1},
			when: summaryOf(t, tenpayAccount, "B1", t0, "10.00", 1),
			want: posted(tenpayAccount, "B1", "10.00", 1, "10.00"), wantSeq: 1, wantShares: "10.00",
			balances: map[string]string{openAccount: "128.50", tenpayAccount: "10.00"}},
		{name: "a batch without credits posts zero and spreads nothing", given: []processor.Message{b1},
			when: summaryOf(t, openAccount, "B2", t0, "0.00", 0),
			want: posted(openAccount, "B2", "0.00", 0, "128.50"), wantSeq: 2, balances: map[string]string{openAccount: "128.50"}},
		{name: "a posting of fewer fen than sub-accounts spreads fen by fen", when: summaryOf(t, openAccount, "B1", t0, "0.03", 3),
			want: posted(openAccount, "B1", "0.03", 3, "0.03"), wantSeq: 1, wantShares: "0.03", balances: map[string]string{openAccount: "0.03"}},
		{name: "link faults do not touch postings", link: banklink.Config{TimeoutRate: 1, LostReplyRate: 1}, when: b1,
			want: posted(openAccount, "B1", "128.50", 2, "128.50"), wantSeq: 1, wantShares: "128.50", balances: map[string]string{openAccount: "128.50"}},

		// Repeats: nothing recorded, the same shares re-sent.
		{name: "redelivered: nothing new", given: []processor.Message{b1, b2}, when: b1, wantShares: "128.50",
			balances: map[string]string{openAccount: "200.00"}},
		{name: "the same batch in a new command: nothing new", given: []processor.Message{b1},
			when:       txnCommand(t, openAccount, "re-run", t0.Add(time.Hour), events.PostReserveSummary{ReserveAccount: openAccount, BatchID: "B1", Amount: events.CNY("128.50"), Credits: 2}),
			wantShares: "128.50", balances: map[string]string{openAccount: "128.50"}},
		{name: "the same batch with another amount: poison", given: []processor.Message{b1},
			when: summaryOf(t, openAccount, "B1", t0, "128.51", 2), wantErr: ErrSummaryConflict,
			balances: map[string]string{openAccount: "128.50"}},
		{name: "the same batch with another credit count: poison", given: []processor.Message{b1},
			when: summaryOf(t, openAccount, "B1", t0, "128.50", 3), wantErr: ErrSummaryConflict,
			balances: map[string]string{openAccount: "128.50"}},

		// Malformed.
		{name: "negative amount", when: summaryOf(t, openAccount, "B1", t0, "-1.00", 1), wantText: "-1.00 over 1 credits",
			balances: map[string]string{openAccount: "0.00"}},
		{name: "negative credit count", when: summaryOf(t, openAccount, "B1", t0, "1.00", -1), wantText: "1.00 over -1 credits",
			balances: map[string]string{openAccount: "0.00"}},
		{name: "no batch", when: summaryOf(t, openAccount, "", t0, "1.00", 1), wantText: "without a batch ID",
			balances: map[string]string{openAccount: "0.00"}},
		{name: "keyed by another account", when: misrouted, wantText: "keyed by",
			balances: map[string]string{openAccount: "0.00", tenpayAccount: "0.00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBank(t, tt.link)
			for _, m := range tt.given {
				run(t, b, m)
			}
			out, err := b.Handle(tt.when)
			switch {
			case tt.wantErr != nil || tt.wantText != "":
				if err == nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantText) ||
					!strings.HasPrefix(err.Error(), "reservebank: ") {
					t.Fatalf("error %v, want %v %q", err, tt.wantErr, tt.wantText)
				}
			case err != nil:
				t.Fatal(err)
			}
			if tt.wantShares == "" {
				if len(out.Messages) != 0 {
					t.Errorf("sent %d messages, want none", len(out.Messages))
				}
			} else {
				checkShares(t, out.Messages, tt.when.Envelope.AggregateID, events.SubCreditSummary, "", tt.wantShares)
			}
			if tt.want == nil {
				if len(out.Events) != 0 {
					t.Fatalf("recorded %d events, want none", len(out.Events))
				}
			} else {
				if len(out.Events) != 1 || len(out.Payloads) != 1 {
					t.Fatalf("recorded %d events, want 1", len(out.Events))
				}
				ev := out.Events[0]
				p, err := reg.Decode(ev)
				if err != nil {
					t.Fatal(err)
				}
				if !sameJSON(t, p, tt.want) || !sameJSON(t, out.Payloads[0], tt.want) {
					t.Errorf("recorded %+v, want %+v", p, tt.want)
				}
				if ev.AggregateID != tt.when.Envelope.AggregateID || ev.Sequence != tt.wantSeq ||
					ev.ID != events.DeriveID(tt.when.Envelope.ID, ev.Type) || ev.CausationID != tt.when.Envelope.ID ||
					ev.CorrelationID != tt.when.Envelope.CorrelationID || !ev.OccurredAt.Equal(tt.when.Time) {
					t.Errorf("event %+v: want it under the account at sequence %d, derived from the command", ev, tt.wantSeq)
				}
				b.Apply(ev, p)
			}
			for account, want := range tt.balances {
				if got := b.SummarizedBalance(account); !got.Equal(events.CNY(want)) {
					t.Errorf("SummarizedBalance(%s) = %s, want %s", account, got, want)
				}
			}
		})
	}
}

// A posting redelivered after its event was folded records nothing and
// sends the same (no) messages; one redelivered before (a crash between
// produce and commit, the event not yet folded) records the very same
// event.
func TestSummaryRedelivery(t *testing.T) {
	b := newBank(t, banklink.Config{})
	m := summaryOf(t, openAccount, "B1", t0, "1.00", 1)
	first, err := b.Handle(m)
	if err != nil {
		t.Fatal(err)
	}
	again, err := b.Handle(m)
	if err != nil || len(again.Events) != 1 || !sameJSON(t, again.Events[0], first.Events[0]) {
		t.Fatalf("redelivered before the fold: %+v, %v; want the same event", again.Events, err)
	}
	p, _ := reg.Decode(first.Events[0])
	b.Apply(first.Events[0], p)
	b.Apply(first.Events[0], p) // a second owner's copy
	after, err := b.Handle(m)
	if err != nil || len(after.Events) != 0 || !sameJSON(t, after.Messages, first.Messages) || len(first.Messages) != 4 {
		t.Fatalf("redelivered after the fold: %d events, %v; want none, and the same 4 shares again", len(after.Events), err)
	}
	if got := b.SummarizedBalance(openAccount); !got.Equal(events.CNY("1.00")) {
		t.Fatalf("balance %s after a repeated fold, want 1.00", got)
	}
}

func TestApplyRefusesACorruptSummary(t *testing.T) {
	envelope := func(aggregate string, seq uint64, p events.Payload) events.Envelope {
		env, err := reg.New(aggregate, seq, p, events.Meta{ID: events.DeriveID(aggregate, p.EventType(), string(rune('0'+seq))),
			CorrelationID: "c", CausationID: "c", OccurredAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	first := posted(openAccount, "B1", "10.00", 1, "10.00")
	tests := []struct {
		name string
		env  events.Envelope
		p    events.Payload
	}{
		{"sequence gap", envelope(openAccount, 3, posted(openAccount, "B2", "1.00", 1, "11.00")), posted(openAccount, "B2", "1.00", 1, "11.00")},
		{"batch posted twice", envelope(openAccount, 2, posted(openAccount, "B1", "1.00", 1, "11.00")), posted(openAccount, "B1", "1.00", 1, "11.00")},
		{"balance does not chain", envelope(openAccount, 2, posted(openAccount, "B2", "1.00", 1, "12.00")), posted(openAccount, "B2", "1.00", 1, "12.00")},
		{"filed under another aggregate", envelope(tenpayAccount, 1, first), first},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBank(t, banklink.Config{})
			b.Apply(envelope(openAccount, 1, first), first)
			defer func() {
				if recover() == nil {
					t.Fatal("Apply accepted a corrupt log")
				}
			}()
			b.Apply(tt.env, tt.p)
		})
	}
}
