package audit

import (
	"strings"
	"testing"

	"github.com/paycore/paycore/events"
)

// builder writes a small log the way the processors would.
type builder struct {
	l   *Log
	seq int
}

func newBuilder() *builder { return &builder{l: NewLog()} }

func (b *builder) add(aggregate string, p events.Payload) {
	b.seq++
	id := events.DeriveID("audit-test", string(rune(b.seq)), p.EventType())
	b.l.AddEvent(events.Envelope{ID: id, Type: p.EventType(), AggregateID: aggregate}, p)
}

const key, no, txn = "PAYERKEY", "AG1", "txn-1"

func (b *builder) openAndSign(balance, perPayment, daily string) *builder {
	b.add(key, events.AccountOpened{PayerKey: key, OpeningBalance: events.CNY(balance)})
	b.add(key, events.AgreementSigned{AgreementNo: no, PayerKey: key, PerPaymentLimit: events.CNY(perPayment), DailyLimit: events.CNY(daily)})
	return b
}

func (b *builder) start(txn, amount string) {
	b.add(txn, events.PaymentStarted{Request: events.StartPayment{TxnID: txn, AgreementNo: no, PayerKey: key, Amount: events.CNY(amount), OrderID: "o-" + txn, ChannelID: "c"}})
}

func (b *builder) debit(txn, amount, after, day string) {
	b.add(key, events.PayerDebited{TxnID: txn, AgreementNo: no, Amount: events.CNY(amount), BalanceAfter: events.CNY(after), Day: day})
}

func (b *builder) finish(txn, status string) {
	b.add(txn, events.PaymentFinished{TxnID: txn, Status: status})
}

func (b *builder) credit(txn, amount string) {
	b.add(txn, events.ReserveCredited{TxnID: txn, Amount: events.CNY(amount)})
}

func TestAudit(t *testing.T) {
	tests := []struct {
		name string
		log  func(b *builder)
		want string // "" = clean, else a fragment of a violation
	}{
		{"success", func(b *builder) {
			b.start(txn, "10.00")
			b.debit(txn, "10.00", "90.00", "2026-11-29")
			b.credit(txn, "10.00")
			b.finish(txn, events.StatusSuccess)
		}, ""},
		{"presumed success with credit unknown is allowed", func(b *builder) {
			b.start(txn, "10.00")
			b.debit(txn, "10.00", "90.00", "2026-11-29")
			b.finish(txn, events.StatusPresumedSuccess)
		}, ""},
		{"reversed failure", func(b *builder) {
			b.start(txn, "10.00")
			b.debit(txn, "10.00", "90.00", "2026-11-29")
			b.add(key, events.PayerDebitReversed{TxnID: txn, Amount: events.CNY("10.00"), BalanceAfter: events.CNY("100.00")})
			b.finish(txn, events.StatusFailure)
		}, ""},
		{"success without credit", func(b *builder) {
			b.start(txn, "10.00")
			b.debit(txn, "10.00", "90.00", "2026-11-29")
			b.finish(txn, events.StatusSuccess)
		}, "success but"},
		{"failure with standing debit", func(b *builder) {
			b.start(txn, "10.00")
			b.debit(txn, "10.00", "90.00", "2026-11-29")
			b.finish(txn, events.StatusFailure)
		}, "failure but"},
		{"balance drift", func(b *builder) {
			b.start(txn, "10.00")
			b.debit(txn, "10.00", "95.00", "2026-11-29")
			b.credit(txn, "10.00")
			b.finish(txn, events.StatusSuccess)
		}, "replay gives 90.00"},
		{"negative balance", func(b *builder) {
			b.start(txn, "10.00")
			b.debit(txn, "150.00", "-50.00", "2026-11-29")
			b.finish(txn, events.StatusPresumedSuccess)
		}, "below zero"},
		{"double debit", func(b *builder) {
			b.start(txn, "10.00")
			b.debit(txn, "10.00", "90.00", "2026-11-29")
			b.debit(txn, "10.00", "80.00", "2026-11-29")
			b.credit(txn, "10.00")
			b.finish(txn, events.StatusSuccess)
		}, "2 debits"},
		{"over daily limit", func(b *builder) {
			for i, tx := range []string{"a", "b", "c"} {
				b.start(tx, "30.00")
				b.debit(tx, "30.00", []string{"70.00", "40.00", "10.00"}[i], "2026-11-29")
				b.credit(tx, "30.00")
				b.finish(tx, events.StatusSuccess)
			}
		}, "daily limit"},
		{"over per-payment limit", func(b *builder) {
			b.start(txn, "60.00")
			b.debit(txn, "60.00", "40.00", "2026-11-29")
			b.credit(txn, "60.00")
			b.finish(txn, events.StatusSuccess)
		}, "per-payment limit"},
		{"reversed amount returns to the day's limit", func(b *builder) {
			b.start("a", "50.00")
			b.debit("a", "50.00", "50.00", "2026-11-29")
			b.add(key, events.PayerDebitReversed{TxnID: "a", Amount: events.CNY("50.00"), BalanceAfter: events.CNY("100.00")})
			b.finish("a", events.StatusFailure)
			b.start("b", "50.00")
			b.debit("b", "50.00", "50.00", "2026-11-29")
			b.credit("b", "50.00")
			b.finish("b", events.StatusSuccess)
		}, ""},
		{"never finished", func(b *builder) {
			b.start(txn, "10.00")
		}, "never reached a final status"},
		{"final status changed", func(b *builder) {
			b.start(txn, "10.00")
			b.finish(txn, events.StatusFailure)
			b.finish(txn, events.StatusSuccess)
		}, "final status changed"},
		{"leg without saga", func(b *builder) {
			b.debit(txn, "10.00", "90.00", "2026-11-29")
		}, "without a started payment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBuilder().openAndSign("100.00", "50.00", "80.00")
			tt.log(b)
			rep := b.l.Check()
			if tt.want == "" {
				if !rep.Clean() {
					t.Fatalf("want clean, got:\n%s", rep)
				}
				if !rep.OpeningTotal.Equal(events.CNY("100.00")) {
					t.Fatalf("opening total %s", rep.OpeningTotal)
				}
				return
			}
			if rep.Clean() || !strings.Contains(strings.Join(rep.Violations, "\n"), tt.want) {
				t.Fatalf("want a violation containing %q, got:\n%s", tt.want, rep)
			}
		})
	}
}

func TestDuplicateEventIDsCountOnce(t *testing.T) {
	b := newBuilder().openAndSign("100.00", "50.00", "80.00")
	b.start(txn, "10.00")
	env := events.Envelope{ID: "same-id", AggregateID: key}
	debit := events.PayerDebited{TxnID: txn, AgreementNo: no, Amount: events.CNY("10.00"), BalanceAfter: events.CNY("90.00"), Day: "2026-11-29"}
	b.l.AddEvent(env, debit)
	b.l.AddEvent(env, debit) // the same event written by two owners
	b.credit(txn, "10.00")
	b.finish(txn, events.StatusSuccess)
	if rep := b.l.Check(); !rep.Clean() {
		t.Fatalf("duplicate event ID counted twice:\n%s", rep)
	}
}

func TestRequestsWithoutOutcome(t *testing.T) {
	l := NewLog()
	l.AddRequest([]byte(`{"channel_id":"c","order_id":"o1"}`))
	l.AddRequest([]byte(`{"channel_id":"c","order_id":"o2"}`))
	l.AddOutcome(events.Outcome{OutcomeID: "x", ChannelID: "c", OrderID: "o1"})
	l.AddRequest([]byte(`not json`))
	rep := l.Check()
	joined := strings.Join(rep.Violations, "\n")
	if !strings.Contains(joined, "o2") || !strings.Contains(joined, "unreadable requests") {
		t.Fatalf("want missing outcome for o2 and a missing rejection, got:\n%s", rep)
	}
}
