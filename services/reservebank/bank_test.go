package reservebank

import (
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/processor"
)

// IDs a test row can expect, derived the way the bank must derive them.
func eventID(cmdName string, p events.Payload) string {
	return events.DeriveID(events.DeriveID(cmdName), p.EventType())
}

func creditReplyID(cmdName string, p events.Payload) string {
	return events.DeriveID(eventID(cmdName, p), "reply")
}

func reportID(cmdName string) string {
	return events.DeriveID(events.DeriveID(cmdName), events.CreditStatusReported{}.EventType())
}

func TestTransitions(t *testing.T) {
	credited := events.ReserveCredited{TxnID: txnID, ReserveAccount: openAccount, ChannelID: "alipay", Amount: events.CNY("128.50")}
	closed := events.ReserveCreditRefused{TxnID: txnID, ReasonCode: events.ReasonReserveAccountClosed}
	notReceived := events.ReserveCreditRefused{TxnID: txnID, ReasonCode: events.ReasonNotReceivedByBank}
	report := func(attempt int, status, reason string) events.CreditStatusReported {
		return events.CreditStatusReported{TxnID: txnID, Attempt: attempt, Status: status, ReasonCode: reason}
	}
	const latency = 250 * time.Millisecond
	var (
		dropAll      = banklink.Config{TimeoutRate: 1}
		loseReplies  = banklink.Config{LostReplyRate: 1}
		unknownQuery = banklink.Config{QueryUnknownRate: 1}
		slow         = banklink.Config{LatencyMin: latency, LatencyMax: latency}
	)

	tests := []struct {
		name  string
		link  banklink.Config
		given []processor.Message // handled first, events folded
		when  processor.Message
		// then
		wantEvent   events.Payload // nil: nothing recorded
		wantEventID string
		wantReply   events.Payload // nil: no reply
		wantReplyID string
		wantDelay   time.Duration
	}{
		{
			name: "credit is recorded and answered",
			when: credit(t, "c1", openAccount), wantEvent: credited, wantEventID: eventID("c1", credited),
			wantReply: credited, wantReplyID: creditReplyID("c1", credited),
		},
		{
			name: "credit to a closed reserve account is refused",
			when: credit(t, "c1", closedAcct), wantEvent: closed, wantEventID: eventID("c1", closed),
			wantReply: closed, wantReplyID: creditReplyID("c1", closed),
		},
		{
			name:  "redelivered credit gets the same reply and records nothing",
			given: []processor.Message{credit(t, "c1", openAccount)},
			when:  credit(t, "c1", openAccount), wantReply: credited, wantReplyID: creditReplyID("c1", credited),
		},
		{
			name:  "second credit command for a credited transaction gets the first reply",
			given: []processor.Message{credit(t, "c1", openAccount)},
			when:  credit(t, "c2", openAccount), wantReply: credited, wantReplyID: creditReplyID("c1", credited),
		},
		{
			name:  "credit arriving after a query closed the transaction is refused, not executed",
			given: []processor.Message{query(t, "q1", 1)},
			when:  credit(t, "c1", openAccount), wantReply: notReceived, wantReplyID: creditReplyID("q1", notReceived),
		},
		{
			name: "dropped credit never reaches the bank",
			link: dropAll, when: credit(t, "c1", openAccount),
		},
		{
			name: "dropped credit for a decided transaction is not answered either",
			link: dropAll, given: []processor.Message{query(t, "q1", 1)}, when: credit(t, "c1", openAccount),
		},
		{
			name: "credit whose reply is lost is still recorded",
			link: loseReplies, when: credit(t, "c1", openAccount), wantEvent: credited, wantEventID: eventID("c1", credited),
		},
		{
			name: "redelivered credit whose reply was lost is lost again",
			link: loseReplies, given: []processor.Message{credit(t, "c1", openAccount)}, when: credit(t, "c1", openAccount),
		},
		{
			name: "slow link delays the credit reply",
			link: slow, when: credit(t, "c1", openAccount), wantEvent: credited, wantEventID: eventID("c1", credited),
			wantReply: credited, wantReplyID: creditReplyID("c1", credited), wantDelay: latency,
		},
		{
			name:  "query after a credit reports done",
			given: []processor.Message{credit(t, "c1", openAccount)},
			when:  query(t, "q1", 1), wantReply: report(1, events.LegDone, ""), wantReplyID: reportID("q1"),
		},
		{
			name:  "query after a refusal reports refused with its reason",
			given: []processor.Message{credit(t, "c1", closedAcct)},
			when:  query(t, "q1", 2), wantReply: report(2, events.LegRefused, events.ReasonReserveAccountClosed), wantReplyID: reportID("q1"),
		},
		{
			name: "query about a never-received credit closes it, then reports refused",
			when: query(t, "q1", 1), wantEvent: notReceived, wantEventID: eventID("q1", notReceived),
			wantReply: report(1, events.LegRefused, events.ReasonNotReceivedByBank), wantReplyID: reportID("q1"),
		},
		{
			name: "query after a dropped credit closes it",
			link: dropAll, given: []processor.Message{credit(t, "c1", openAccount)},
			when: query(t, "q1", 1), wantEvent: notReceived, wantEventID: eventID("q1", notReceived),
			wantReply: report(1, events.LegRefused, events.ReasonNotReceivedByBank), wantReplyID: reportID("q1"),
		},
		{
			name:  "redelivered query reports the same and records nothing",
			given: []processor.Message{query(t, "q1", 1)},
			when:  query(t, "q1", 1), wantReply: report(1, events.LegRefused, events.ReasonNotReceivedByBank), wantReplyID: reportID("q1"),
		},
		{
			name: "query answered unknown changes nothing, even for a never-received credit",
			link: unknownQuery, when: query(t, "q1", 1),
			wantReply: report(1, events.LegUnknown, ""), wantReplyID: reportID("q1"),
		},
		{
			name: "query answered unknown after a credit",
			link: unknownQuery, given: []processor.Message{credit(t, "c1", openAccount)},
			when: query(t, "q1", 3), wantReply: report(3, events.LegUnknown, ""), wantReplyID: reportID("q1"),
		},
		{
			name: "query replies are not delayed",
			link: slow, given: []processor.Message{credit(t, "c1", openAccount)},
			when: query(t, "q1", 1), wantReply: report(1, events.LegDone, ""), wantReplyID: reportID("q1"),
		},
		{
			name: "queries are never dropped",
			link: banklink.Config{TimeoutRate: 1, LostReplyRate: 1}, given: []processor.Message{credit(t, "c1", openAccount)},
			when: query(t, "q1", 1), wantEvent: notReceived, wantEventID: eventID("q1", notReceived),
			wantReply: report(1, events.LegRefused, events.ReasonNotReceivedByBank), wantReplyID: reportID("q1"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBank(t, tt.link)
			for _, msg := range tt.given {
				run(t, b, msg)
			}
			out, err := b.Handle(tt.when)
			if err != nil {
				t.Fatal(err)
			}

			if tt.wantEvent == nil {
				if len(out.Events) != 0 {
					t.Fatalf("recorded %d events, want none", len(out.Events))
				}
			} else {
				if len(out.Events) != 1 {
					t.Fatalf("recorded %d events, want 1", len(out.Events))
				}
				ev := out.Events[0]
				p, err := reg.Decode(ev)
				if err != nil {
					t.Fatal(err)
				}
				if !sameJSON(t, p, tt.wantEvent) || ev.ID != tt.wantEventID || ev.AggregateID != txnID || ev.Sequence != 1 ||
					ev.CausationID != tt.when.Envelope.ID || ev.CorrelationID != txnID || !ev.OccurredAt.Equal(tt.when.Time) {
					t.Fatalf("event %+v\npayload %+v, want %+v (ID %s)", ev, p, tt.wantEvent, tt.wantEventID)
				}
			}

			if tt.wantReply == nil {
				if len(out.Messages) != 0 {
					t.Fatalf("sent %d messages, want none", len(out.Messages))
				}
				return
			}
			if len(out.Messages) != 1 {
				t.Fatalf("sent %d messages, want 1 reply", len(out.Messages))
			}
			reply := out.Messages[0]
			env, p := decoded(t, reply)
			if reply.Topic != sagaInbox || reply.Key != txnID || env.AggregateID != txnID {
				t.Fatalf("reply on %s keyed %s, aggregate %s", reply.Topic, reply.Key, env.AggregateID)
			}
			if !sameJSON(t, p, tt.wantReply) || env.ID != tt.wantReplyID {
				t.Fatalf("reply %s %+v, want %s %+v", env.ID, p, tt.wantReplyID, tt.wantReply)
			}
			var wantNotBefore time.Time
			if tt.wantDelay > 0 {
				wantNotBefore = tt.when.Time.Add(tt.wantDelay)
			}
			if !reply.NotBefore.Equal(wantNotBefore) {
				t.Fatalf("reply NotBefore %v, want %v", reply.NotBefore, wantNotBefore)
			}
		})
	}
}

// TestReplyIsNotTheLogEvent: the credit reply carries the decision but has
// an ID of its own, caused by the log event.
func TestReplyIsNotTheLogEvent(t *testing.T) {
	out := run(t, newBank(t, banklink.Config{}), credit(t, "c1", openAccount))
	ev := out.Events[0]
	reply, _ := decoded(t, out.Messages[0])
	if reply.ID == ev.ID || reply.CausationID != ev.ID || reply.Type != ev.Type || string(reply.Payload) != string(ev.Payload) {
		t.Fatalf("reply %+v\nevent %+v", reply, ev)
	}
}

// TestRedeliveryIsIdentical replays every command after its effects are in
// the state, as the runtime does after a crash between produce and commit:
// the bank must record nothing new and send byte-identical replies.
func TestRedeliveryIsIdentical(t *testing.T) {
	for _, msg := range []processor.Message{credit(t, "c1", openAccount), credit(t, "c2", closedAcct), query(t, "q1", 1)} {
		t.Run(msg.Envelope.Type, func(t *testing.T) {
			b := newBank(t, banklink.Config{LatencyMin: time.Second, LatencyMax: 3 * time.Second, Seed: 7})
			first := run(t, b, msg)
			again, err := b.Handle(msg)
			if err != nil {
				t.Fatal(err)
			}
			if len(again.Events) != 0 {
				t.Fatalf("redelivery recorded %d events", len(again.Events))
			}
			if len(again.Messages) != len(first.Messages) {
				t.Fatalf("redelivery sent %d messages, first time %d", len(again.Messages), len(first.Messages))
			}
			for i := range first.Messages {
				f, a := first.Messages[i], again.Messages[i]
				if f.Topic != a.Topic || f.Key != a.Key || string(f.Value) != string(a.Value) || !f.NotBefore.Equal(a.NotBefore) {
					t.Fatalf("redelivered reply differs:\n%s\n%s", f.Value, a.Value)
				}
			}
		})
	}
}

// TestRebuildFromLog folds a bank's log into a fresh bank, with every event
// twice as after a rebalance, and checks it decides as the original.
func TestRebuildFromLog(t *testing.T) {
	original := newBank(t, banklink.Config{})
	var log []events.Envelope
	commands := []processor.Message{
		credit(t, "c1", openAccount),
		query(t, "q1", 1), // after c1: reports done, records nothing
	}
	// A second transaction on the same account, and one to a closed account.
	other := events.DeriveID("txn", "alipay", "key-2")
	closedTxn := events.DeriveID("txn", "alipay", "key-3")
	for _, c := range []struct {
		txn, account, amount string
	}{{other, openAccount, "0.01"}, {closedTxn, closedAcct, "5.00"}} {
		p := events.CreditReserve{TxnID: c.txn, ReserveAccount: c.account, ChannelID: "alipay", Amount: events.CNY(c.amount)}
		env, err := reg.New(c.txn, 1, p, events.Meta{ID: events.DeriveID("credit", c.txn), CorrelationID: c.txn, CausationID: "saga", OccurredAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		commands = append(commands, processor.Message{Envelope: env, Payload: p, Time: t0})
	}
	for _, msg := range commands {
		log = append(log, run(t, original, msg).Events...)
	}
	if len(log) != 3 {
		t.Fatalf("log has %d events, want 3", len(log))
	}

	rebuilt := newBank(t, banklink.Config{})
	for range 2 {
		for _, ev := range log {
			p, err := reg.Decode(ev)
			if err != nil {
				t.Fatal(err)
			}
			rebuilt.Apply(ev, p)
		}
	}
	for _, b := range []*Bank{original, rebuilt} {
		if got := b.Total(openAccount); !got.Equal(events.CNY("128.51")) {
			t.Errorf("Total(%s) = %s, want 128.51", openAccount, got)
		}
		if got := b.Total(closedAcct); !got.Equal(events.ZeroCNY()) {
			t.Errorf("Total(%s) = %s, want 0.00", closedAcct, got)
		}
		if amount, ok := b.Credited(txnID); !ok || !amount.Equal(events.CNY("128.50")) {
			t.Errorf("Credited(txn) = %s, %v", amount, ok)
		}
		if _, ok := b.Credited(closedTxn); ok {
			t.Error("a refused credit reports as credited")
		}
		if _, ok := b.Credited("never-seen"); ok {
			t.Error("an unknown transaction reports as credited")
		}
	}
	// The rebuilt bank answers a redelivered credit exactly as the original.
	a, _ := original.Handle(commands[0])
	b, _ := rebuilt.Handle(commands[0])
	if len(a.Messages) != 1 || len(b.Messages) != 1 || string(a.Messages[0].Value) != string(b.Messages[0].Value) {
		t.Fatalf("rebuilt bank answers differently:\n%+v\n%+v", a, b)
	}
}

func TestApplyRefusesACorruptLog(t *testing.T) {
	credited := events.ReserveCredited{TxnID: txnID, ReserveAccount: openAccount, ChannelID: "alipay", Amount: events.CNY("1.00")}
	refused := events.ReserveCreditRefused{TxnID: txnID, ReasonCode: events.ReasonNotReceivedByBank}
	envelope := func(aggregate string, seq uint64, p events.Payload) events.Envelope {
		env, err := reg.New(aggregate, seq, p, events.Meta{ID: events.DeriveID(aggregate, p.EventType()), CorrelationID: "c", CausationID: "c", OccurredAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		return env
	}

	// A second owner's conflicting decision at the same sequence loses.
	b := newBank(t, banklink.Config{})
	b.Apply(envelope(txnID, 1, credited), credited)
	b.Apply(envelope(txnID, 1, refused), refused)
	if _, ok := b.Credited(txnID); !ok {
		t.Fatal("the second decision at sequence 1 replaced the first")
	}

	tests := []struct {
		name string
		env  events.Envelope
		p    events.Payload
	}{
		{name: "second decision at a later sequence", env: envelope(txnID, 2, refused), p: refused},
		{name: "event under another aggregate", env: envelope("other", 1, credited), p: credited},
		{name: "event type the bank never writes", env: envelope(txnID, 1, events.QueryCredit{TxnID: txnID}), p: events.QueryCredit{TxnID: txnID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBank(t, banklink.Config{})
			b.Apply(envelope(txnID, 1, credited), credited)
			defer func() {
				if recover() == nil {
					t.Fatal("Apply accepted a corrupt log")
				}
			}()
			b.Apply(tt.env, tt.p)
		})
	}
}

func TestHandleErrors(t *testing.T) {
	b := newBank(t, banklink.Config{})
	misrouted := credit(t, "c1", openAccount)
	misrouted.Envelope.AggregateID = "another-txn"
	negative := command(t, events.DeriveID("c-neg"), events.CreditReserve{TxnID: txnID, ReserveAccount: openAccount, ChannelID: "alipay", Amount: events.CNY("-1.00")})
	zero := command(t, events.DeriveID("c-zero"), events.CreditReserve{TxnID: txnID, ReserveAccount: openAccount, ChannelID: "alipay", Amount: events.CNY("0")})
	tests := map[string]processor.Message{
		"command of another processor": command(t, events.DeriveID("d1"), events.QueryDebit{TxnID: txnID, PayerKey: "K", Attempt: 1}),
		"keyed under another txn":      misrouted,
		"negative credit":              negative,
		"zero credit":                  zero,
	}
	for name, msg := range tests {
		t.Run(name, func(t *testing.T) {
			out, err := b.Handle(msg)
			if err == nil {
				t.Fatalf("no error; output %+v", out)
			}
			if !strings.HasPrefix(err.Error(), "reservebank: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestFactory(t *testing.T) {
	link, err := banklink.New(banklink.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  Config
		reg  *events.Registry
		want string
	}{
		{name: "valid", cfg: Config{Topics: Topics{SagaInbox: sagaInbox, ReserveInbox: reserveInbox}, Link: link}, reg: reg},
		{name: "no saga inbox", cfg: Config{Link: link}, reg: reg, want: "SagaInbox"},
		{name: "no reserve inbox", cfg: Config{Topics: Topics{SagaInbox: sagaInbox}}, reg: reg, want: "ReserveInbox"},
		{name: "too many sub-accounts", cfg: Config{Topics: Topics{SagaInbox: sagaInbox, ReserveInbox: reserveInbox}, SubAccounts: 257}, reg: reg, want: "SubAccounts 257"},
		{name: "negative sub-accounts", cfg: Config{Topics: Topics{SagaInbox: sagaInbox, ReserveInbox: reserveInbox}, SubAccounts: -1}, reg: reg, want: "SubAccounts -1"},
		{name: "too many borrow rounds", cfg: Config{Topics: Topics{SagaInbox: sagaInbox, ReserveInbox: reserveInbox}, MaxBorrowRounds: 17}, reg: reg, want: "MaxBorrowRounds 17"},
		{name: "empty closed account", cfg: Config{Topics: Topics{SagaInbox: sagaInbox, ReserveInbox: reserveInbox}, ClosedAccounts: []string{""}}, reg: reg, want: "ClosedAccounts[0]"},
		{name: "nil registry", cfg: Config{Topics: Topics{SagaInbox: sagaInbox, ReserveInbox: reserveInbox}}, want: "registry"},
		{name: "registry without reserve types", cfg: Config{Topics: Topics{SagaInbox: sagaInbox, ReserveInbox: reserveInbox}}, reg: events.NewRegistry(), want: "registry lacks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			factory, err := NewFactory(tt.cfg, tt.reg)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				a, b := factory(0).(*Bank), factory(1).(*Bank)
				run(t, a, credit(t, "c1", openAccount))
				if _, ok := b.Credited(txnID); ok {
					t.Fatal("partitions share state")
				}
				if a.Due(t0.Add(time.Hour)) != nil {
					t.Fatal("Due returned commands")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}
