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
	// reserve is the balance of reserve sub-account R#0 (refund tests).
	reserve events.Money
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

func (b *builder) reverse(txn, amount, after string) {
	b.add(key, events.PayerDebitReversed{TxnID: txn, Amount: events.CNY(amount), BalanceAfter: events.CNY(after)})
}

func (b *builder) creditTo(txn, account, amount string) {
	b.add(txn, events.ReserveCredited{TxnID: txn, ReserveAccount: account, Amount: events.CNY(amount)})
}

func (b *builder) correcting(txn, action string) {
	b.add(txn, events.PaymentCorrectionStarted{TxnID: txn, Action: action, BatchID: "B1", DiscrepancyID: "d-" + txn})
}

func (b *builder) corrected(txn, action, amount string) {
	b.add(txn, events.PaymentCorrected{TxnID: txn, Action: action, Amount: events.CNY(amount)})
}

func (b *builder) summary(account, batch, amount, after string) {
	b.add(account, events.ReserveSummaryPosted{ReserveAccount: account, BatchID: batch, Amount: events.CNY(amount), Credits: 1,
		BalanceAfter: events.CNY(after)})
}

func TestAuditCorrectionsAndSummaries(t *testing.T) {
	const (
		refund = events.ActionRefundCustomer
		credit = events.ActionCreditReserve
		acct   = "RSV-1"
	)
	// presumed builds a payment of 10.00 debited (or not) that ended in
	// status, the customer left with 90.00 if debited.
	presumed := func(b *builder, status string, debited bool) {
		b.start(txn, "10.00")
		if debited {
			b.debit(txn, "10.00", "90.00", "2026-11-29")
		}
		b.finish(txn, status)
	}
	type money struct{ customers, reserve, suspense, reversed, summarized string }
	tests := []struct {
		name  string
		log   func(b *builder)
		want  string // "" = clean, else a fragment of a violation
		money *money // checked when clean
	}{
		// Corrections that put the money right.
		{"presumed_failure debited, refunded by a correction", func(b *builder) {
			presumed(b, events.StatusPresumedFailure, true)
			b.correcting(txn, refund)
			b.reverse(txn, "10.00", "100.00")
			b.corrected(txn, refund, "10.00")
		}, "", &money{"100.00", "0.00", "0.00", "10.00", "0.00"}},
		{"presumed_failure debited, before its correction: in suspense", func(b *builder) {
			presumed(b, events.StatusPresumedFailure, true)
		}, "", &money{"90.00", "0.00", "10.00", "0.00", "0.00"}},
		{"presumed_failure never debited: the correction moved nothing", func(b *builder) {
			presumed(b, events.StatusPresumedFailure, false)
			b.correcting(txn, refund)
			b.add(key, events.PayerDebitRefused{TxnID: txn, ReasonCode: events.ReasonNotReceivedByBank})
			b.corrected(txn, refund, "0.00")
		}, "", &money{"100.00", "0.00", "0.00", "0.00", "0.00"}},
		{"failure whose debit stood, refunded by a correction", func(b *builder) {
			presumed(b, events.StatusFailure, true)
			b.correcting(txn, refund)
			b.reverse(txn, "10.00", "100.00")
			b.corrected(txn, refund, "10.00")
		}, "", &money{"100.00", "0.00", "0.00", "10.00", "0.00"}},
		{"presumed_success credited by a correction", func(b *builder) {
			presumed(b, events.StatusPresumedSuccess, true)
			b.correcting(txn, credit)
			b.creditTo(txn, acct, "10.00")
			b.corrected(txn, credit, "10.00")
		}, "", &money{"90.00", "10.00", "0.00", "0.00", "0.00"}},
		{"presumed_success credited after all: the correction moved nothing", func(b *builder) {
			presumed(b, events.StatusPresumedSuccess, true)
			b.creditTo(txn, acct, "10.00")
			b.correcting(txn, credit)
			b.corrected(txn, credit, "0.00")
		}, "", &money{"90.00", "10.00", "0.00", "0.00", "0.00"}},
		{"presumed_success whose credit the reserve refused: refunded", func(b *builder) {
			presumed(b, events.StatusPresumedSuccess, true)
			b.correcting(txn, credit)
			b.add(txn, events.ReserveCreditRefused{TxnID: txn, ReasonCode: events.ReasonReserveAccountClosed})
			b.correcting(txn, refund)
			b.reverse(txn, "10.00", "100.00")
			b.corrected(txn, refund, "10.00")
		}, "", &money{"100.00", "0.00", "0.00", "10.00", "0.00"}},
		{"a correction re-sent: correction_started again", func(b *builder) {
			presumed(b, events.StatusPresumedFailure, true)
			b.correcting(txn, refund)
			b.correcting(txn, refund)
			b.reverse(txn, "10.00", "100.00")
			b.corrected(txn, refund, "10.00")
		}, "", &money{"100.00", "0.00", "0.00", "10.00", "0.00"}},

		// Corrections that break the rules.
		{"correction before the payment finished", func(b *builder) {
			b.start(txn, "10.00")
			b.debit(txn, "10.00", "90.00", "2026-11-29")
			b.correcting(txn, refund)
			b.finish(txn, events.StatusPresumedFailure)
		}, "started before it finished", nil},
		{"payment.corrected before the payment finished", func(b *builder) {
			b.start(txn, "10.00")
			b.corrected(txn, refund, "0.00")
			b.finish(txn, events.StatusPresumedFailure)
		}, "payment.corrected before it finished", nil},
		{"corrected twice", func(b *builder) {
			presumed(b, events.StatusPresumedFailure, true)
			b.correcting(txn, refund)
			b.reverse(txn, "10.00", "100.00")
			b.corrected(txn, refund, "10.00")
			b.corrected(txn, refund, "0.00")
		}, "corrected 2 times", nil},
		{"corrected without a correction started", func(b *builder) {
			presumed(b, events.StatusPresumedFailure, false)
			b.corrected(txn, refund, "0.00")
		}, "which no correction_started began", nil},
		{"refund of a success", func(b *builder) {
			b.start(txn, "10.00")
			b.debit(txn, "10.00", "90.00", "2026-11-29")
			b.credit(txn, "10.00")
			b.finish(txn, events.StatusSuccess)
			b.correcting(txn, refund)
			b.corrected(txn, refund, "0.00")
		}, "correction refund_customer of a success payment", nil},
		{"credit of a presumed_failure", func(b *builder) {
			presumed(b, events.StatusPresumedFailure, false)
			b.correcting(txn, credit)
			b.corrected(txn, credit, "0.00")
		}, "correction credit_reserve of a presumed_failure payment", nil},
		{"refund of a presumed_success without a refused credit first", func(b *builder) {
			presumed(b, events.StatusPresumedSuccess, true)
			b.correcting(txn, refund)
			b.reverse(txn, "10.00", "100.00")
			b.corrected(txn, refund, "10.00")
		}, "correction refund_customer of a presumed_success payment", nil},
		{"refund said to move money, no reversal", func(b *builder) {
			presumed(b, events.StatusPresumedFailure, true)
			b.correcting(txn, refund)
			b.corrected(txn, refund, "10.00")
		}, "but 0 reversals", nil},
		{"credit said to move money, no credit", func(b *builder) {
			presumed(b, events.StatusPresumedSuccess, true)
			b.correcting(txn, credit)
			b.corrected(txn, credit, "10.00")
		}, "but 0 credits", nil},
		{"a presumed payment reversed, the correction saying nothing moved", func(b *builder) {
			presumed(b, events.StatusPresumedFailure, true)
			b.correcting(txn, refund)
			b.reverse(txn, "10.00", "100.00")
			b.corrected(txn, refund, "0.00")
		}, "reversed without a refund correction that moved it", nil},
		{"corrected by another amount", func(b *builder) {
			presumed(b, events.StatusPresumedFailure, true)
			b.correcting(txn, refund)
			b.reverse(txn, "10.00", "100.00")
			b.corrected(txn, refund, "5.00")
		}, "correction moved 5.00 of a payment of 10.00", nil},
		{"a correction's reversal is still the one reversal", func(b *builder) {
			presumed(b, events.StatusFailure, true)
			b.reverse(txn, "10.00", "100.00")
			b.correcting(txn, refund)
			b.reverse(txn, "10.00", "110.00")
			b.corrected(txn, refund, "10.00")
		}, "2 reversals", nil},
		{"a correction's credit is still the one credit", func(b *builder) {
			presumed(b, events.StatusPresumedSuccess, true)
			b.creditTo(txn, acct, "10.00")
			b.correcting(txn, credit)
			b.creditTo(txn, acct, "10.00")
			b.corrected(txn, credit, "10.00")
		}, "2 credits", nil},
		{"finished twice with the same status", func(b *builder) {
			presumed(b, events.StatusPresumedFailure, false)
			b.finish(txn, events.StatusPresumedFailure)
		}, "finished 2 times", nil},

		// Summarized postings.
		{"postings chain and cover the credits", func(b *builder) {
			for i, tx := range []string{"a", "b", "c"} {
				b.start(tx, "10.00")
				b.debit(tx, "10.00", []string{"90.00", "80.00", "70.00"}[i], "2026-11-29")
				b.creditTo(tx, acct, "10.00")
				b.finish(tx, events.StatusSuccess)
			}
			b.summary(acct, "B1", "20.00", "20.00")
			b.summary(acct, "B2", "10.00", "30.00")
		}, "", &money{"70.00", "30.00", "0.00", "0.00", "30.00"}},
		{"a batch posted twice", func(b *builder) {
			b.start(txn, "10.00")
			b.debit(txn, "10.00", "90.00", "2026-11-29")
			b.creditTo(txn, acct, "10.00")
			b.finish(txn, events.StatusSuccess)
			b.summary(acct, "B1", "5.00", "5.00")
			b.summary(acct, "B1", "5.00", "10.00")
		}, "batch B1 posted twice", nil},
		{"a balance that does not chain", func(b *builder) {
			b.start(txn, "10.00")
			b.debit(txn, "10.00", "90.00", "2026-11-29")
			b.creditTo(txn, acct, "10.00")
			b.finish(txn, events.StatusSuccess)
			b.summary(acct, "B1", "5.00", "5.00")
			b.summary(acct, "B2", "5.00", "9.00")
		}, "batch B2 recorded balance 9.00, postings add up to 10.00", nil},
		{"postings above the credits", func(b *builder) {
			b.start(txn, "10.00")
			b.debit(txn, "10.00", "90.00", "2026-11-29")
			b.creditTo(txn, acct, "10.00")
			b.finish(txn, events.StatusSuccess)
			b.summary(acct, "B1", "10.01", "10.01")
		}, "summarized postings 10.01 exceed its credits 10.00", nil},
		{"postings of an account without credits", func(b *builder) {
			b.summary("RSV-other", "B1", "1.00", "1.00")
		}, "RSV-other: summarized postings 1.00 exceed its credits 0.00", nil},
		{"a posting filed under another account", func(b *builder) {
			b.add("RSV-other", events.ReserveSummaryPosted{ReserveAccount: acct, BatchID: "B1", Amount: events.CNY("0.00"),
				BalanceAfter: events.CNY("0.00")})
		}, "filed under RSV-other", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBuilder().openAndSign("100.00", "50.00", "80.00")
			tt.log(b)
			rep := b.l.Check()
			if tt.want != "" {
				if rep.Clean() || !strings.Contains(strings.Join(rep.Violations, "\n"), tt.want) {
					t.Fatalf("want a violation containing %q, got:\n%s", tt.want, rep)
				}
				return
			}
			if !rep.Clean() {
				t.Fatalf("want clean, got:\n%s", rep)
			}
			m := tt.money
			for _, f := range []struct {
				name string
				got  events.Money
				want string
			}{
				{"customers", rep.CustomerTotal, m.customers}, {"reserve", rep.ReserveTotal, m.reserve},
				{"suspense", rep.SuspenseTotal, m.suspense}, {"reversed", rep.ReversedTotal, m.reversed},
				{"summarized", rep.SummarizedTotal, m.summarized},
			} {
				if !f.got.Equal(events.CNY(f.want)) {
					t.Errorf("%s total %s, want %s\n%s", f.name, f.got, f.want, rep)
				}
			}
		})
	}
}
