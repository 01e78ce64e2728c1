package tables

import (
	"fmt"
	"slices"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/projections/projector"
)

// A small synthetic event log, as the processors would write it: three
// customers, three agreements (one terminated), and eleven payments over
// two hours and two channels in every final status, plus one still
// pending. The integration tests project it and check the tables, views,
// README queries and report against the figures below.

type customer struct {
	key, account, name, idNumber, phone, balance string
}

var (
	alice = customer{"ALICEKEY00000000", "6222020200112230001", "王小明", "110101199003071234", "13800138000", "10000.00"}
	bob   = customer{"BOBKEY0000000000", "6217000010012345678", "李四", "11010119850101123X", "13900139000", "5000.00"}
	carol = customer{"CAROLKEY00000000", "622848001234567", "张三", "310101197001011234", "13700137000", "100.00"}
)

func agreementOf(c customer, channel string) string {
	return "NU" + c.key + fmt.Sprintf("%-12.12s", channel+"000000000000")
}

// synthPayment is one payment of the log and how it ends.
type synthPayment struct {
	name     string // key of the synthetic payment, e.g. "P1"
	channel  string
	payer    customer
	amount   string
	hour     int           // 0: two hours before the current hour; 1: the hour before
	minute   int           // minute of that hour it starts
	latency  time.Duration // started to finished
	status   string        // final status, or "" while pending
	reason   string
	payerLeg string // "" (no answer), debited, refused, debited+reversed
	reserve  string // "" (no answer), credited, refused
}

var synthPayments = []synthPayment{
	{"P1", "alipay", alice, "100.00", 0, 5, 100 * time.Millisecond, events.StatusSuccess, "", "debited", "credited"},
	{"P2", "alipay", alice, "250.50", 0, 10, 200 * time.Millisecond, events.StatusSuccess, "", "debited", "credited"},
	{"P3", "alipay", alice, "30.00", 0, 15, 300 * time.Millisecond, events.StatusFailure, events.ReasonInsufficientFunds, "refused", ""},
	{"T1", "tenpay", bob, "12.34", 0, 30, 400 * time.Millisecond, events.StatusSuccess, "", "debited", "credited"},
	{"P4", "alipay", alice, "40.00", 1, 5, 5000 * time.Millisecond, events.StatusPresumedFailure, events.ReasonPayerLegUnknown, "", ""},
	{"P5", "alipay", alice, "55.55", 1, 10, 8000 * time.Millisecond, events.StatusPresumedSuccess, events.ReasonReserveLegUnknown, "debited", ""},
	{"P6", "alipay", alice, "70.00", 1, 15, 1200 * time.Millisecond, events.StatusFailure, events.ReasonReserveAccountClosed, "debited+reversed", "refused"},
	{"P7", "alipay", carol, "10.00", 1, 20, 150 * time.Millisecond, events.StatusFailure, events.ReasonAgreementTerminated, "refused", ""},
	{"P8", "alipay", alice, "99.99", 1, 25, 0, "", "", "debited", ""},
	{"T2", "tenpay", bob, "0.01", 1, 30, 500 * time.Millisecond, events.StatusSuccess, "", "debited", "credited"},
	{"T3", "tenpay", bob, "1000.00", 1, 35, 6000 * time.Millisecond, events.StatusPresumedFailure, events.ReasonPayerLegUnknown, "", ""},
}

// synthTxnID is the transaction ID the intake derives for a payment.
func synthTxnID(p synthPayment) string { return events.DeriveID("txn", p.channel, "key-"+p.name) }

// logEvent is one event as read from Kafka.
type logEvent struct {
	env events.Envelope
	p   events.Payload
	src projector.Source
}

// synthLog builds the log. base is the start of the first hour; the
// events' projected_at is the end of the second hour.
type synthLog struct {
	base    time.Time
	events  []logEvent
	seq     map[string]uint64 // per aggregate
	offsets map[string]int64  // per topic
}

const (
	sagaTopic     = "paycore.saga.events"
	payerTopic    = "paycore.payer.events"
	reserveTopic  = "paycore.reserve.events"
	clearingTopic = "paycore.clearing.events"
	legacyTopic   = "paycore.legacy.mappings"
)

// synthLegacyNo is the direct-connect number of bob's migrated agreement:
// longer than any NetsUnion agreement number.
const synthLegacyNo = "2018052100000000000000000000000000000042"

func newSynthLog(base time.Time) *synthLog {
	l := &synthLog{base: base, seq: map[string]uint64{}, offsets: map[string]int64{}}
	for _, c := range []customer{alice, bob, carol} {
		l.add(payerTopic, c.key, base.Add(-30*time.Minute), events.AccountOpened{
			PayerKey: c.key, Account: c.account,
			Holder:         events.AccountHolder{Name: c.name, IDType: events.IDTypeResidentID, IDNumber: c.idNumber, Phone: c.phone},
			OpeningBalance: events.CNY(c.balance),
		})
	}
	for _, a := range []struct {
		c       customer
		channel string
	}{{alice, "alipay"}, {bob, "tenpay"}, {carol, "alipay"}} {
		l.add(payerTopic, a.c.key, base.Add(-20*time.Minute), events.AgreementSigned{
			SigningID: "sig-" + a.c.key, AgreementNo: agreementOf(a.c, a.channel), ChannelID: a.channel, PayerKey: a.c.key,
			PerPaymentLimit: events.CNY("2000.00"), DailyLimit: events.CNY("5000.00"),
		})
	}
	// A stock agreement migrated from the direct-connect era: bob's alipay
	// agreement, imported by the payer bank, and its mapping.
	l.add(payerTopic, bob.key, base.Add(-10*time.Minute), events.AgreementImported{
		AgreementNo: agreementOf(bob, "alipay"), LegacyNo: synthLegacyNo, ImportID: "synth-import", ChannelID: "alipay",
		PayerKey: bob.key, PerPaymentLimit: events.CNY("300.00"), DailyLimit: events.CNY("600.00"), SignedOn: "2016-05-04",
	})
	l.add(legacyTopic, synthLegacyNo, base.Add(-9*time.Minute), events.AgreementMapped{
		LegacyNo: synthLegacyNo, AgreementNo: agreementOf(bob, "alipay"), ChannelID: "alipay", PayerKey: bob.key,
		ImportID: "synth-import", Reason: events.MappingExceedsField,
	})
	l.add(payerTopic, carol.key, base.Add(time.Hour), events.AgreementTerminated{
		AgreementNo: agreementOf(carol, "alipay"), RequestID: "req-carol", BodyHash: "h",
	})
	for _, p := range synthPayments {
		l.payment(p)
	}
	l.clearing()
	l.refunds()
	return l
}

// synthRefundID is the refund ID the intake derives for refund name.
func synthRefundID(name string) string { return events.DeriveID("refund", "alipay", "key-"+name) }

// refunds adds refunds after the batch: of P2 (250.50) R1 100.00 succeeds,
// R2 50.50 is still running and R3 200.00 is rejected (it would exceed
// the remainder); of T1 R4 12.34 fails (the reserve account is short).
func (l *synthLog) refunds() {
	byName := func(name string) synthPayment {
		return synthPayments[slices.IndexFunc(synthPayments, func(p synthPayment) bool { return p.name == name })]
	}
	at := l.base.Add(2*time.Hour - 10*time.Minute)
	for _, r := range []struct {
		name, payment, amount, status, reason string
	}{
		{"R1", "P2", "100.00", events.StatusSuccess, ""},
		{"R2", "P2", "50.50", "", ""},
		{"R3", "P2", "200.00", events.StatusRejected, events.ReasonRefundExceedsOriginal},
		{"R4", "T1", "12.34", events.StatusFailure, events.ReasonReserveInsufficient},
	} {
		p := byName(r.payment)
		txn, id := synthTxnID(p), synthRefundID(r.name)
		req := events.StartRefund{RefundID: id, TxnID: txn, ChannelID: p.channel, OrderID: "order-" + r.name,
			IdempotencyKey: "key-" + r.name, BodyHash: "h", Amount: events.CNY(r.amount)}
		sub := events.SubAccountKey("RSV-"+p.channel, 1)
		if r.status == events.StatusRejected {
			l.add(sagaTopic, txn, at, events.RefundRejected{Request: req, ReasonCode: r.reason})
			continue
		}
		l.add(sagaTopic, txn, at, events.RefundStarted{Request: req, ReserveAccount: "RSV-" + p.channel, SubAccount: sub,
			PayerKey: p.payer.key, AgreementNo: agreementOf(p.payer, p.channel), Deadline: at.Add(2 * time.Second),
			FinalDeadline: at.Add(10 * time.Second)})
		switch r.status {
		case events.StatusSuccess:
			l.add(reserveTopic, sub, at.Add(20*time.Millisecond), events.ReserveDebited{DebitID: "d-" + id, TxnID: txn, RefundID: id,
				ReserveAccount: "RSV-" + p.channel, SubAccount: sub, Amount: events.CNY(r.amount), BalanceAfter: events.CNY("1000.00")})
			l.add(payerTopic, p.payer.key, at.Add(40*time.Millisecond), events.PayerCredited{CreditID: "c-" + id, TxnID: txn, RefundID: id,
				Amount: events.CNY(r.amount), BalanceAfter: events.CNY("3.00")})
			l.add(sagaTopic, txn, at.Add(50*time.Millisecond), events.RefundFinished{RefundID: id, Status: r.status,
				ReserveDebit: "yes", PayerCredited: "yes"})
		case events.StatusFailure:
			l.add(reserveTopic, sub, at.Add(20*time.Millisecond), events.ReserveDebitRefused{DebitID: "d-" + id, TxnID: txn, RefundID: id,
				ReasonCode: r.reason})
			l.add(sagaTopic, txn, at.Add(30*time.Millisecond), events.RefundFinished{RefundID: id, Status: r.status, ReasonCode: r.reason,
				ReserveDebit: "no", PayerCredited: "no"})
		}
	}
}

// synthBatch is the clearing batch of the log: it covers both hours.
const synthBatch = "B20260302-2300"

// clearing closes one batch over the two hours, reconciles it with both
// banks (the payer bank twice: the second statement replaces the first
// result), and corrects P4 (the payer bank did debit it: refund, re-sent
// once) and P5 (the reserve credit never happened: credit it); the
// reserve bank then posts each account's summary.
func (l *synthLog) clearing() {
	byName := func(name string) synthPayment {
		return synthPayments[slices.IndexFunc(synthPayments, func(p synthPayment) bool { return p.name == name })]
	}
	p4, p5 := byName("P4"), byName("P5")
	end := l.base.Add(2 * time.Hour)
	at := func(minutes int) time.Time { return end.Add(time.Duration(minutes) * time.Minute) }
	money := func(s string) *events.Money { m := events.CNY(s); return &m }
	l.add(clearingTopic, synthBatch, at(1), events.SettlementInstructed{BatchID: synthBatch, InstructionID: "ins-alipay",
		FromBank: "PAYER-BANK", ToBank: "RESERVE-BANK", ReserveAccount: "RSV-alipay", Amount: events.CNY("406.05")})
	l.add(clearingTopic, synthBatch, at(1), events.SettlementInstructed{BatchID: synthBatch, InstructionID: "ins-tenpay",
		FromBank: "PAYER-BANK", ToBank: "RESERVE-BANK", ReserveAccount: "RSV-tenpay", Amount: events.CNY("12.35")})
	l.add(clearingTopic, synthBatch, at(1), events.BatchClosed{BatchID: synthBatch, WindowStart: l.base, WindowEnd: end,
		Payments: 10, SettledAmount: events.CNY("418.40"), ClosedAt: at(1)})
	l.add(clearingTopic, synthBatch, at(2), events.DiscrepancyFound{BatchID: synthBatch, Bank: events.BankPayer,
		TxnID: synthTxnID(p4), Class: events.DiffStatus, OurStatus: p4.status, OurAmount: money(p4.amount),
		TheirStatus: "debited", TheirAmount: money(p4.amount), Action: events.ActionRefundCustomer})
	l.add(clearingTopic, synthBatch, at(2), events.BatchReconciled{BatchID: synthBatch, Bank: events.BankPayer, Matched: 9, Discrepancies: 2})
	l.add(clearingTopic, synthBatch, at(3), events.BatchReconciled{BatchID: synthBatch, Bank: events.BankPayer, Matched: 9, Discrepancies: 1})
	l.add(clearingTopic, synthBatch, at(3), events.DiscrepancyFound{BatchID: synthBatch, Bank: events.BankReserve,
		TxnID: synthTxnID(p5), Class: events.DiffStatus, OurStatus: p5.status, OurAmount: money(p5.amount),
		TheirStatus: "not_found", TheirAmount: money("0"), Action: events.ActionCreditReserve})
	l.add(clearingTopic, synthBatch, at(3), events.BatchReconciled{BatchID: synthBatch, Bank: events.BankReserve, Matched: 9, Discrepancies: 1})
	for _, c := range []struct {
		p      synthPayment
		action string
		sends  int
	}{{p4, events.ActionRefundCustomer, 2}, {p5, events.ActionCreditReserve, 1}} {
		txn := synthTxnID(c.p)
		for range c.sends {
			l.add(sagaTopic, txn, at(4), events.PaymentCorrectionStarted{TxnID: txn, Action: c.action, BatchID: synthBatch,
				DiscrepancyID: events.DeriveID("synth-discrepancy", txn)})
		}
		l.add(sagaTopic, txn, at(5), events.PaymentCorrected{TxnID: txn, Action: c.action, Amount: events.CNY(c.p.amount)})
	}
	l.add(reserveTopic, "RSV-alipay", at(6), events.ReserveSummaryPosted{ReserveAccount: "RSV-alipay", BatchID: synthBatch,
		Amount: events.CNY("406.05"), Credits: 3, BalanceAfter: events.CNY("406.05")})
	l.add(reserveTopic, "RSV-tenpay", at(6), events.ReserveSummaryPosted{ReserveAccount: "RSV-tenpay", BatchID: synthBatch,
		Amount: events.CNY("12.35"), Credits: 2, BalanceAfter: events.CNY("12.35")})
}

func (l *synthLog) add(topic, aggregate string, at time.Time, p events.Payload) {
	l.seq[aggregate]++
	seq := l.seq[aggregate]
	env := events.Envelope{
		ID: events.DeriveID("synth", aggregate, fmt.Sprint(seq)), Type: p.EventType(), Version: p.EventVersion(),
		AggregateID: aggregate, Sequence: seq, CorrelationID: aggregate, CausationID: aggregate,
		OccurredAt: at, Payload: []byte(`{}`),
	}
	src := projector.Source{Topic: topic, Partition: 0, Offset: l.offsets[topic], ProjectedAt: l.base.Add(2 * time.Hour)}
	l.offsets[topic]++
	l.events = append(l.events, logEvent{env, p, src})
}

func (p synthPayment) start(base time.Time) time.Time {
	return base.Add(time.Duration(p.hour)*time.Hour + time.Duration(p.minute)*time.Minute + 123*time.Millisecond)
}

func (l *synthLog) payment(p synthPayment) {
	txn := synthTxnID(p)
	start := p.start(l.base)
	agr := agreementOf(p.payer, p.channel)
	reserve := "RSV-" + p.channel
	amount := events.CNY(p.amount)
	l.add(sagaTopic, txn, start, events.PaymentStarted{
		Request: events.StartPayment{
			TxnID: txn, ChannelID: p.channel, OrderID: "order-" + p.name, IdempotencyKey: "key-" + p.name, BodyHash: "h",
			AgreementNo: agr, PayerKey: p.payer.key, ReserveAccount: reserve, Amount: amount,
		},
		Deadline: start.Add(2 * time.Second), FinalDeadline: start.Add(30 * time.Second),
	})
	// Saga steps are in the log but not in these tables.
	l.add(sagaTopic, txn, start, events.PaymentStepChanged{TxnID: txn, Step: events.StepAwaitPayer, Deadline: start.Add(2 * time.Second), Cause: "start"})
	switch p.payerLeg {
	case "debited", "debited+reversed":
		l.add(payerTopic, p.payer.key, start.Add(30*time.Millisecond), events.PayerDebited{
			TxnID: txn, AgreementNo: agr, Amount: amount, BalanceAfter: events.CNY("1.00"), Day: beijingDay(start),
		})
	case "refused":
		l.add(payerTopic, p.payer.key, start.Add(30*time.Millisecond), events.PayerDebitRefused{TxnID: txn, ReasonCode: p.reason})
	}
	switch p.reserve {
	case "credited":
		l.add(reserveTopic, txn, start.Add(60*time.Millisecond), events.ReserveCredited{
			TxnID: txn, ReserveAccount: reserve, ChannelID: p.channel, Amount: amount,
		})
	case "refused":
		l.add(reserveTopic, txn, start.Add(60*time.Millisecond), events.ReserveCreditRefused{TxnID: txn, ReasonCode: p.reason})
	}
	if p.payerLeg == "debited+reversed" {
		l.add(payerTopic, p.payer.key, start.Add(90*time.Millisecond), events.PayerDebitReversed{
			TxnID: txn, Amount: amount, BalanceAfter: events.CNY("2.00"),
		})
	}
	if p.status == "" {
		return
	}
	debited, credited := "no", "no"
	switch {
	case p.status == events.StatusSuccess:
		debited, credited = "yes", "yes"
	case p.status == events.StatusPresumedSuccess:
		debited, credited = "yes", "unknown"
	case p.status == events.StatusPresumedFailure:
		debited = "unknown"
	}
	l.add(sagaTopic, txn, start.Add(p.latency), events.PaymentFinished{
		TxnID: txn, Status: p.status, ReasonCode: p.reason, PayerDebited: debited, ReserveCredited: credited,
	})
}

// rows maps the log with the Mapper. A replay reads every event again
// from other offsets, later.
func (l *synthLog) rows(replay bool) ([]projector.Row, error) {
	var out []projector.Row
	for _, e := range l.events {
		src := e.src
		if replay {
			src.Offset += 100_000
			src.ProjectedAt = src.ProjectedAt.Add(time.Hour)
		}
		rows, err := Mapper{}.Map(e.env, e.p, src)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}
