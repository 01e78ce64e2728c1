package saga

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// The snapshot tests build a varied partition through the harness (many
// payments and signings in every step and final status, duplicates,
// redeliveries, deadlines), snapshot it, restore the snapshot into a fresh
// handler, and check that from then on the two are the same handler: same
// snapshot, same decisions on every message, same deadlines.

// snapCfg keeps DueMax small, so which due sagas a Due call returns
// depends on the heap layout, and the signing timeout short, so signings
// reach it.
var snapCfg = Config{Topics: testTopics, DueMax: 4, SigningTimeout: 30 * time.Second}

// snapSaga names one saga of the snapshot scenarios.
type snapSaga struct {
	id      string
	n       int
	signing bool
}

func snapPay(n int) snapSaga {
	return snapSaga{id: events.DeriveID("snap", "txn", strconv.Itoa(n)), n: n}
}

func snapSign(n int) snapSaga {
	return snapSaga{id: events.DeriveID("snap", "signing", strconv.Itoa(n)), n: n, signing: true}
}

var snapAmounts = []string{"12.34", "0.01", "99999.99", "100", "7.5"}

func (s snapSaga) channel() string { return "chan-" + strconv.Itoa(s.n%3) }
func (s snapSaga) payer() string   { return "payer-" + strconv.Itoa(s.n%4) }
func (s snapSaga) amount() events.Money {
	return events.CNY(snapAmounts[s.n%len(snapAmounts)])
}

func (s snapSaga) payRequest(hash string) events.StartPayment {
	n := strconv.Itoa(s.n)
	return events.StartPayment{
		TxnID: s.id, ChannelID: s.channel(), OrderID: "order-p" + n, IdempotencyKey: "idem-p" + n, BodyHash: hash,
		AgreementNo: "agr-" + n, PayerKey: s.payer(), ReserveAccount: "reserve-" + strconv.Itoa(s.n%2), Amount: s.amount(),
	}
}

func (s snapSaga) signRequest(hash string) events.StartSigning {
	n := strconv.Itoa(s.n)
	return events.StartSigning{
		SigningID: s.id, ChannelID: s.channel(), OrderID: "order-s" + n, IdempotencyKey: "idem-s" + n, BodyHash: hash,
		PayerKey: s.payer(), PayerAccount: "6222" + n, HolderName: "张三" + n, IDNumber: "11010119900101" + n,
		Phone: "1380000" + n, PerPaymentLimit: events.CNY("500." + strconv.Itoa(s.n%10)), DailyLimit: events.CNY("2000"),
	}
}

// snapWorld drives the handler of a harness (handler A) and remembers every
// message sent to each saga, for redeliveries, and the confirm keys of
// each signing, for repeats.
type snapWorld struct {
	t     *testing.T
	x     *harness
	sagas []snapSaga
	sent  map[string][]processor.Message
	keys  map[string][]string
	next  int // number of the next saga started later
	// checkpoints are snapshots taken while building, with the length of
	// the event log they cover.
	checkpoints []snapCheckpoint
}

type snapCheckpoint struct {
	logLen int
	snap   []byte
}

// snapAct is one message of a scripted saga, at base+d; deadline actions
// fire at the saga's current deadline instead. "deadline*" fires deadlines
// until the saga finishes.
type snapAct struct {
	do string
	d  time.Duration
}

func acts(list ...any) []snapAct {
	var out []snapAct
	for i := 0; i < len(list); i += 2 {
		out = append(out, snapAct{do: list[i].(string), d: list[i+1].(time.Duration)})
	}
	return out
}

const ms = time.Millisecond

// snapPaymentScripts reach every payment step and final status, by
// replies, status answers and deadlines, with duplicates.
var snapPaymentScripts = [][]snapAct{
	acts("start", 0*ms),
	acts("start", 0*ms, "deadline", 0*ms),
	acts("start", 0*ms, "debited", 1000*ms),
	acts("start", 0*ms, "debited", 1000*ms, "deadline", 0*ms),
	acts("start", 0*ms, "debited", 1000*ms, "credit-refused", 1500*ms),
	acts("start", 0*ms, "debited", 1000*ms, "credit-refused", 1500*ms, "deadline", 0*ms),
	acts("start", 0*ms, "debited", 1000*ms, "credited", 2000*ms),
	acts("start", 0*ms, "debit-refused", 1000*ms),
	acts("start", 0*ms, "debited", 500*ms, "credit-refused", 1000*ms, "reversed", 2000*ms),
	acts("start", 0*ms, "deadline*", 0*ms),
	acts("start", 0*ms, "debited", 1000*ms, "deadline*", 0*ms),
	acts("start", 0*ms, "start-other", 1000*ms),
	acts("start", 0*ms, "debited", 1000*ms, "credited", 2000*ms, "start-other", 3000*ms),
	acts("start", 0*ms, "debit-status:unknown", 1500*ms, "debit-status:done", 1800*ms),
	acts("start", 0*ms, "deadline", 0*ms, "start", 3000*ms, "debit-status:refused", 4000*ms),
	acts("start", 0*ms, "debited", 700*ms, "credit-status:refused", 1500*ms, "deadline", 0*ms, "debit-status:reversed", 5000*ms),
	acts("start", 0*ms, "debited", 700*ms, "deadline", 0*ms, "credit-status:done", 4000*ms),
	acts("start", 0*ms, "debited", 700*ms, "credit-refused", 900*ms, "deadline", 0*ms, "deadline", 0*ms, "start", 6000*ms),
	acts("start", 0*ms, "deadline", 0*ms, "deadline", 0*ms, "start-other", 4500*ms),
	// Corrections of finished payments: running, re-sent, done with and
	// without money moving, a refused credit turned into a refund, and
	// requests that do not fit.
	acts("start", 0*ms, "deadline*", 0*ms, "correct:refund_customer", 20000*ms),
	acts("start", 0*ms, "deadline*", 0*ms, "correct:refund_customer", 20000*ms, "deadline", 0*ms),
	acts("start", 0*ms, "deadline*", 0*ms, "correct:refund_customer", 20000*ms, "reversed:moved", 21000*ms),
	acts("start", 0*ms, "debited", 1000*ms, "deadline*", 0*ms, "correct:credit_reserve", 20000*ms),
	acts("start", 0*ms, "debited", 1000*ms, "deadline*", 0*ms, "correct:credit_reserve", 20000*ms, "credited:moved", 21000*ms),
	acts("start", 0*ms, "debited", 1000*ms, "deadline*", 0*ms, "correct:credit_reserve", 20000*ms, "credited", 21000*ms),
	acts("start", 0*ms, "debited", 1000*ms, "deadline*", 0*ms, "correct:credit_reserve", 20000*ms, "credit-refused", 21000*ms),
	acts("start", 0*ms, "debited", 1000*ms, "deadline*", 0*ms, "correct:credit_reserve", 20000*ms, "credit-refused", 21000*ms,
		"deadline", 0*ms, "reversed:moved", 30000*ms),
	acts("start", 0*ms, "debit-refused", 1000*ms, "correct:refund_customer", 20000*ms, "debit-status:refused", 21000*ms),
	acts("start", 0*ms, "debited", 1000*ms, "credited", 2000*ms, "correct:refund_customer", 20000*ms),
	acts("start", 0*ms, "correct:refund_customer", 1000*ms),
	// Refunds of finished payments: every refund step and final status,
	// several refunds of one payment, reused keys, and requests the
	// payment refuses.
	paid("refund:1", 3000*ms),
	paid("refund:1", 3000*ms, "rdeadline:1", 0*ms),
	paid("refund:1", 3000*ms, "rdebited:1", 3500*ms),
	paid("refund:1", 3000*ms, "rdebited:1", 3500*ms, "rdeadline:1", 0*ms),
	paid("refund:1", 3000*ms, "rdebited:1", 3500*ms, "rcredited:1", 4000*ms),
	paid("refund:1", 3000*ms, "rdebit-refused:1", 3500*ms),
	paid("refund:1", 3000*ms, "rdebited:1", 3500*ms, "rcredit-refused:1", 4000*ms),
	paid("refund:1", 3000*ms, "rdebited:1", 3500*ms, "rcredit-refused:1", 4000*ms, "rreturned:1", 4500*ms),
	paid(append([]any{"refund:1", 3000 * ms}, rdeadlines(1, 12)...)...),
	paid(append([]any{"refund:1", 3000 * ms, "rdebited:1", 3500 * ms}, rdeadlines(1, 12)...)...),
	paid("refund:1", 3000*ms, "refund-other:1", 3500*ms),
	paid("refund-over:1", 3000*ms),
	paid("refund:1", 3000*ms, "rdebited:1", 3500*ms, "rcredited:1", 4000*ms, "refund:2", 5000*ms, "refund:3", 5100*ms, "rdebit-refused:3", 6000*ms),
	acts("start", 0*ms, "debit-refused", 1000*ms, "refund:1", 3000*ms),
	paid("refund:1", 3000*ms, "rdebit-status:1/unknown", 5500*ms, "rdebit-status:1/done", 6000*ms),
	paid("refund:1", 3000*ms, "rdebited:1", 3500*ms, "rcredit-status:1/refused", 6000*ms, "rdeadline:1", 0*ms, "rdebit-status:1/reversed", 9000*ms),
	acts("start", 0*ms, "debited", 1000*ms, "deadline*", 0*ms, "refund:1", 30000*ms, "rdebited:1", 31000*ms),
}

// paid is a script that first pays (success at 2 s), then goes on with list.
func paid(list ...any) []snapAct {
	return acts(append([]any{"start", 0 * ms, "debited", 1000 * ms, "credited", 2000 * ms}, list...)...)
}

// rdeadlines fires refund k's deadline n times.
func rdeadlines(k, n int) []any {
	var out []any
	for range n {
		out = append(out, "rdeadline:"+strconv.Itoa(k), 0*ms)
	}
	return out
}

// snapSigningScripts reach every signing step and final status, with
// confirm requests answered, rejected, pending, repeated and refused.
var snapSigningScripts = [][]snapAct{
	acts("sign", 0*ms),
	acts("sign", 0*ms, "deadline", 0*ms),
	acts("sign", 0*ms, "verified", 1000*ms),
	acts("sign", 0*ms, "verified", 1000*ms, "code:c1", 2000*ms),
	acts("sign", 0*ms, "code:c0", 500*ms, "verified", 1000*ms, "code:c1", 2000*ms, "code-rejected", 3000*ms),
	acts("sign", 0*ms, "verified", 1000*ms, "code:c1", 2000*ms, "signed", 3000*ms),
	acts("sign", 0*ms, "verified", 1000*ms, "deadline", 0*ms),
	acts("sign", 0*ms, "refused", 1000*ms),
	acts("sign", 0*ms, "deadline*", 0*ms),
	acts("sign", 0*ms, "verified", 1000*ms, "code:c1", 2000*ms, "deadline", 0*ms),
	acts("sign", 0*ms, "sign-other", 500*ms, "code:c0", 1000*ms),
	acts("sign", 0*ms, "verified", 1000*ms, "code:c1", 2000*ms, "signed", 3000*ms, "code:c2", 4000*ms, "code:c1", 5000*ms),
	acts("sign", 0*ms, "verified", 1000*ms, "code:c1", 2000*ms, "code-rejected", 3000*ms, "code:c2", 4000*ms, "refused", 5000*ms),
	acts("sign", 0*ms, "verified", 1000*ms, "code:c1", 2000*ms, "code-rejected", 3000*ms, "code:c2", 5000*ms),
	acts("sign", 0*ms, "verified", 1000*ms, "code:c1", 2000*ms, "deadline*", 0*ms),
	acts("sign", 0*ms, "verified", 1000*ms, "sign", 1500*ms, "code:c1", 2000*ms, "code:c1", 2500*ms),
}

// newSnapWorld builds the scripted partition: the scripts run interleaved,
// one action per saga per round, every third message delivered twice, and
// a snapshot is kept after every round.
func newSnapWorld(t *testing.T) *snapWorld {
	t.Helper()
	w := &snapWorld{t: t, x: newHarnessWith(t, snapCfg), sent: map[string][]processor.Message{}, keys: map[string][]string{}}
	type script struct {
		s    snapSaga
		base time.Duration
		acts []snapAct
	}
	var scripts []script
	for i, a := range snapPaymentScripts {
		scripts = append(scripts, script{snapPay(i), time.Duration(i) * 173 * ms, a})
	}
	for i, a := range snapSigningScripts {
		scripts = append(scripts, script{snapSign(i), 50*ms + time.Duration(i)*211*ms, a})
	}
	for _, sc := range scripts {
		w.sagas = append(w.sagas, sc.s)
	}
	w.next = len(scripts)
	delivered := 0
	for round := 0; ; round++ {
		more := false
		for _, sc := range scripts {
			if round >= len(sc.acts) {
				continue
			}
			more = true
			a := sc.acts[round]
			do, repeat := strings.CutSuffix(a.do, "*")
			for i := 0; i < 100; i++ {
				if repeat && !w.running(sc.s.id) {
					break
				}
				m := w.message(sc.s, do, at(sc.base+a.d))
				w.sent[sc.s.id] = append(w.sent[sc.s.id], m)
				w.x.handle(m)
				if delivered++; delivered%3 == 0 {
					w.x.handle(m) // redelivered, as after a crash before the commit
				}
				if !repeat {
					break
				}
			}
		}
		if !more {
			break
		}
		snap, err := w.x.h.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		w.checkpoints = append(w.checkpoints, snapCheckpoint{logLen: len(w.x.log), snap: snap})
	}
	w.checkCoverage()
	return w
}

// checkCoverage fails unless the scripts reached every step, final status
// and latest-event kind, and more sagas are due at once than DueMax.
func (w *snapWorld) checkCoverage() {
	w.t.Helper()
	seen := map[string]bool{}
	for _, p := range w.x.h.payments {
		seen["payment "+p.last.kind] = true
		if p.run != nil {
			seen["payment "+p.run.step] = true
		} else {
			seen["payment "+p.end.status] = true
		}
		if c := p.corr; c != nil {
			switch {
			case !c.done:
				seen["correction "+c.action+" running"] = true
			case c.amount.IsZero():
				seen["correction "+c.action+" moved nothing"] = true
			default:
				seen["correction "+c.action+" moved money"] = true
			}
			if c.attempt > 1 {
				seen["correction re-sent"] = true
			}
			if c.action != c.requested {
				seen["correction credit turned refund"] = true
			}
		}
	}
	for _, p := range w.x.h.payments {
		for _, f := range p.refunds {
			if f.run != nil {
				seen["refund "+f.run.step] = true
			} else {
				seen["refund "+f.end.status] = true
			}
			if len(p.refunds) > 2 {
				seen["refund several of one payment"] = true
			}
		}
	}
	for _, s := range w.x.h.signings {
		seen["signing "+s.last.kind] = true
		if s.run != nil {
			seen["signing "+s.run.step] = true
			if s.run.verify != nil {
				seen["signing verify"] = true
			}
		} else {
			seen["signing "+s.end.status] = true
			if s.end.confirmKey != "" {
				seen["signing confirm answered by the end"] = true
			}
		}
		if s.lastKey != "" {
			seen["signing last key"] = true
		}
	}
	var want []string
	for k := range paymentKinds {
		want = append(want, "payment "+k)
	}
	for k := range paymentSteps {
		want = append(want, "payment "+k)
	}
	for k := range signingKinds {
		want = append(want, "signing "+k)
	}
	for k := range refundSteps {
		want = append(want, "refund "+k)
	}
	for k := range signingSteps {
		want = append(want, "signing "+k)
	}
	want = append(want,
		"payment "+events.StatusSuccess, "payment "+events.StatusFailure,
		"payment "+events.StatusPresumedFailure, "payment "+events.StatusPresumedSuccess,
		"signing "+events.StatusSigned, "signing "+events.StatusSigningFailed,
		"signing verify", "signing confirm answered by the end", "signing last key",
		"correction refund_customer running", "correction credit_reserve running",
		"correction refund_customer moved money", "correction credit_reserve moved money",
		"correction refund_customer moved nothing", "correction credit_reserve moved nothing",
		"correction re-sent", "correction credit turned refund",
		"refund "+events.StatusSuccess, "refund "+events.StatusFailure, "refund "+events.StatusRejected,
		"refund "+events.StatusPresumedFailure, "refund "+events.StatusPresumedSuccess, "refund several of one payment")
	for _, k := range want {
		if !seen[k] {
			w.t.Errorf("the snapshot scenario reaches no %s", k)
		}
	}
	if n := w.x.h.timers.len(); n <= 2*snapCfg.DueMax {
		w.t.Errorf("%d running sagas: want well over DueMax %d", n, snapCfg.DueMax)
	}
}

func (w *snapWorld) running(id string) bool {
	_, ok := w.deadline(id)
	return ok
}

// deadline returns the current deadline of a running saga or correction.
func (w *snapWorld) deadline(id string) (time.Time, bool) {
	if p, ok := w.x.h.payments[id]; ok && p.run != nil {
		return p.run.deadline, true
	}
	if p, ok := w.x.h.payments[id]; ok && p.corr.running() {
		return p.corr.deadline(&w.x.h.cfg), true
	}
	if s, ok := w.x.h.signings[id]; ok && s.run != nil {
		return s.run.deadline, true
	}
	return time.Time{}, false
}

// message builds action do ("name" or "name:arg") for saga s at now.
func (w *snapWorld) message(s snapSaga, do string, now time.Time) processor.Message {
	w.t.Helper()
	name, arg, _ := strings.Cut(do, ":")
	n := strconv.Itoa(s.n)
	if name[0] == 'r' && name != "refused" && name != "reversed" {
		return w.refundMessage(s, name, arg, now)
	}
	if strings.HasPrefix(name, "deadline") {
		dl, ok := w.deadline(s.id)
		if !ok {
			dl = now // a finished saga: any deadline is stale
		}
		switch name {
		case "deadline":
			now = dl
		case "deadline-late": // long past every final deadline
			now = dl.Add(time.Hour)
		case "deadline-stale":
			dl, now = dl.Add(-time.Second), dl
		default:
			w.t.Fatalf("unknown action %q", do)
		}
		return w.x.msg(events.FireDeadline{SagaID: s.id, Deadline: dl}, now)
	}
	var p events.Payload
	switch name {
	case "reversed", "credited":
		if arg == "moved" { // the bank's decision on the correction's own command
			p := events.Payload(events.PayerDebitReversed{TxnID: s.id, Amount: s.amount(), BalanceAfter: events.CNY("1000")})
			if name == "credited" {
				p = events.ReserveCredited{TxnID: s.id, ReserveAccount: "reserve-" + strconv.Itoa(s.n%2), ChannelID: s.channel(), Amount: s.amount()}
			}
			return w.x.msgIn(p, now, correctionCorrelation(s.id, "disc-"+n))
		}
	}
	switch name {
	case "correct":
		p = events.CorrectPayment{TxnID: s.id, BatchID: "batch-1", Action: arg, DiscrepancyID: "disc-" + n}
	case "correct-other":
		p = events.CorrectPayment{TxnID: s.id, BatchID: "batch-2", Action: arg, DiscrepancyID: "disc-other-" + n}
	case "start":
		p = s.payRequest("hash-p" + n)
	case "start-other":
		c := s.payRequest("other-" + strconv.Itoa(w.x.n))
		c.OrderID += "-again-" + strconv.Itoa(w.x.n)
		p = c
	case "debited":
		p = events.PayerDebited{TxnID: s.id, AgreementNo: "agr-" + n, Amount: s.amount(), BalanceAfter: events.CNY("1000"), Day: "2026-03-02"}
	case "debit-refused":
		p = events.PayerDebitRefused{TxnID: s.id, ReasonCode: events.ReasonInsufficientFunds}
	case "debit-status":
		p = events.DebitStatusReported{TxnID: s.id, Attempt: 1, Status: arg}
	case "reversed":
		p = events.PayerDebitReversed{TxnID: s.id, Amount: s.amount(), BalanceAfter: events.CNY("1000")}
	case "credited":
		p = events.ReserveCredited{TxnID: s.id, ReserveAccount: "reserve-" + strconv.Itoa(s.n%2), ChannelID: s.channel(), Amount: s.amount()}
	case "credit-refused":
		p = events.ReserveCreditRefused{TxnID: s.id, ReasonCode: events.ReasonReserveAccountClosed}
	case "credit-status":
		p = events.CreditStatusReported{TxnID: s.id, Attempt: 1, Status: arg, ReasonCode: events.ReasonReserveAccountClosed}
	case "sign":
		p = s.signRequest("hash-s" + n)
	case "sign-other":
		c := s.signRequest("other-" + strconv.Itoa(w.x.n))
		c.OrderID += "-again-" + strconv.Itoa(w.x.n)
		p = c
	case "verified":
		p = events.SigningVerified{SigningID: s.id, ChannelID: s.channel(), PayerKey: s.payer(),
			PerPaymentLimit: events.CNY("500"), DailyLimit: events.CNY("2000"), CodeExpiresAt: now.Add(20 * time.Second)}
	case "refused":
		p = events.SigningRefused{SigningID: s.id, ReasonCode: events.ReasonIdentityMismatch}
	case "code", "code-other", "code-foreign":
		c := events.SubmitSMSCode{SigningID: s.id, ChannelID: s.channel(), OrderID: "order-" + n + "-" + arg,
			IdempotencyKey: arg, BodyHash: "hash-" + arg, SMSCode: "1234" + n}
		switch name {
		case "code":
			if !slices.Contains(w.keys[s.id], arg) {
				w.keys[s.id] = append(w.keys[s.id], arg)
			}
		case "code-other":
			c.BodyHash, c.OrderID = "other-"+arg, c.OrderID+"-again"
		case "code-foreign":
			c.ChannelID = "chan-foreign"
		}
		p = c
	case "code-rejected":
		key := arg
		if sg, ok := w.x.h.signings[s.id]; ok && sg.run != nil && sg.run.pending != "" {
			key = sg.run.pending
		}
		p = events.SMSCodeRejected{SigningID: s.id, Attempt: confirmAttempt(s.id, key), FailedCount: 1}
	case "signed":
		p = events.AgreementSigned{SigningID: s.id, AgreementNo: "AGR-" + n, ChannelID: s.channel(), PayerKey: s.payer(),
			PerPaymentLimit: events.CNY("500"), DailyLimit: events.CNY("2000")}
	default:
		w.t.Fatalf("unknown action %q", do)
	}
	return w.x.msg(p, now)
}

// refundMessage builds refund action name for refund arg ("k" or
// "k/status") of payment s at now.
func (w *snapWorld) refundMessage(s snapSaga, name, arg string, now time.Time) processor.Message {
	w.t.Helper()
	k, status, _ := strings.Cut(arg, "/")
	id := snapRefundID(s, k)
	debitID, creditID := events.DeriveID(id, "debit_reserve"), events.DeriveID(id, "credit_payer")
	sub := events.SubAccountKey("reserve-"+strconv.Itoa(s.n%2), 0)
	req := events.StartRefund{
		RefundID: id, TxnID: s.id, ChannelID: s.channel(), OrderID: "order-r" + strconv.Itoa(s.n) + "-" + k,
		IdempotencyKey: "idem-r" + k, BodyHash: "hash-r" + k, Amount: events.CNY("0.01"),
	}
	var p events.Payload
	switch name {
	case "refund":
		p = req
	case "refund-other":
		req.BodyHash, req.OrderID = "other-"+strconv.Itoa(w.x.n), req.OrderID+"-again"
		p = req
	case "refund-over":
		over, err := s.amount().Add(events.CNY("1"))
		if err != nil {
			w.t.Fatal(err)
		}
		req.Amount = over
		p = req
	case "rdebited":
		p = events.ReserveDebited{DebitID: debitID, TxnID: s.id, RefundID: id, ReserveAccount: "reserve", SubAccount: sub,
			Amount: events.CNY("0.01"), BalanceAfter: events.CNY("10")}
	case "rdebit-refused":
		p = events.ReserveDebitRefused{DebitID: debitID, TxnID: s.id, RefundID: id, ReasonCode: events.ReasonReserveInsufficient}
	case "rdebit-status":
		p = events.ReserveDebitStatusReported{DebitID: debitID, TxnID: s.id, RefundID: id, Attempt: 1, Status: status}
	case "rcredited":
		p = events.PayerCredited{CreditID: creditID, TxnID: s.id, RefundID: id, Amount: events.CNY("0.01"), BalanceAfter: events.CNY("10")}
	case "rcredit-refused":
		p = events.PayerCreditRefused{CreditID: creditID, TxnID: s.id, RefundID: id, ReasonCode: events.ReasonAccountNotFound}
	case "rcredit-status":
		p = events.PayerCreditStatusReported{CreditID: creditID, TxnID: s.id, RefundID: id, Attempt: 1, Status: status,
			ReasonCode: events.ReasonAccountNotFound}
	case "rreturned":
		p = events.ReserveDebitReversed{DebitID: debitID, TxnID: s.id, RefundID: id, SubAccount: sub,
			Amount: events.CNY("0.01"), BalanceAfter: events.CNY("10")}
	case "rdeadline":
		dl := now
		if pay, ok := w.x.h.payments[s.id]; ok {
			if f := pay.refundOf(id); f != nil && f.run != nil {
				dl = f.run.deadline
			}
		}
		m := w.x.msg(events.FireDeadline{SagaID: id, Deadline: dl}, dl)
		m.Key = []byte(s.id)
		return m
	default:
		w.t.Fatalf("unknown refund action %q", name)
	}
	return w.x.msg(p, now)
}

func snapRefundID(s snapSaga, k string) string {
	return events.DeriveID("snap", "refund", strconv.Itoa(s.n), k)
}

var snapPaymentActions = []string{
	"start", "start-other", "debited", "debit-refused", "debit-status:done", "debit-status:refused",
	"debit-status:reversed", "debit-status:unknown", "reversed", "credited", "credit-refused",
	"credit-status:done", "credit-status:refused", "credit-status:unknown", "deadline", "deadline-late", "deadline-stale",
	"correct:refund_customer", "correct:credit_reserve", "correct-other:refund_customer", "correct-other:credit_reserve",
	"reversed:moved", "credited:moved",
	"refund:1", "refund:2", "refund-other:1", "refund-over:1", "rdebited:1", "rdebit-refused:1", "rdebit-status:1/done",
	"rdebit-status:1/unknown", "rdebit-status:1/reversed", "rcredited:1", "rcredit-refused:1", "rcredit-status:1/done",
	"rcredit-status:1/unknown", "rreturned:1", "rdeadline:1", "rdebited:2", "rcredited:2",
}

// actions lists what can happen to saga s next: every reply, request and
// deadline, for signings with every confirm key it knows and a new one.
func (w *snapWorld) actions(s snapSaga, fresh string) []string {
	if !s.signing {
		return snapPaymentActions
	}
	list := []string{"sign", "sign-other", "verified", "refused", "code-rejected", "signed",
		"deadline", "deadline-late", "deadline-stale", "code:" + fresh, "code-foreign:" + fresh}
	for _, k := range w.keys[s.id] {
		list = append(list, "code:"+k, "code-other:"+k, "code-foreign:"+k)
	}
	return list
}

// snapHandle handles m on h as the runtime does: Handle, then Apply of the
// events it returned. Unlike the harness it tolerates Handle errors.
func snapHandle(t *testing.T, reg *events.Registry, h *Handler, m processor.Message) (processor.Output, error) {
	t.Helper()
	out, err := h.Handle(m)
	if err != nil {
		return out, err
	}
	for _, env := range out.Events {
		p, err := reg.Decode(env)
		if err != nil {
			t.Fatalf("undecodable %s: %v", env.Type, err)
		}
		h.Apply(env, p)
	}
	return out, nil
}

// render writes everything an output holds, byte for byte.
func render(t *testing.T, out processor.Output, err error) string {
	t.Helper()
	var b strings.Builder
	if err != nil {
		fmt.Fprintf(&b, "error: %v\n", err)
	}
	if out.Payloads != nil && len(out.Payloads) != len(out.Events) {
		t.Fatalf("%d payloads for %d events", len(out.Payloads), len(out.Events))
	}
	for i, env := range out.Events {
		raw, err := events.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "event %s\n", raw)
		if out.Payloads != nil {
			p, err := events.EncodeJSON(out.Payloads[i])
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "  payload %T %s\n", out.Payloads[i], p)
		}
	}
	for _, m := range out.Messages {
		fmt.Fprintf(&b, "message %s %s %s %s\n", m.Topic, m.Key, m.NotBefore.Format(time.RFC3339Nano), m.Value)
	}
	return b.String()
}

func renderDue(t *testing.T, h *Handler, now time.Time) string {
	t.Helper()
	return render(t, processor.Output{Messages: h.Due(now)}, nil)
}

// view renders what the audit API shows of saga s.
func view(t *testing.T, h *Handler, s snapSaga) string {
	t.Helper()
	var v any
	var ok bool
	if s.signing {
		v, ok = h.Signing(s.id)
	} else {
		v, ok = h.Payment(s.id)
	}
	b, err := events.EncodeJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(ok, " ", string(b))
}

// sameState compares everything the fold built, field by field.
func sameState(a, b *Handler) bool {
	return reflect.DeepEqual(a.payments, b.payments) && reflect.DeepEqual(a.signings, b.signings) &&
		reflect.DeepEqual(a.timers, b.timers)
}

func mustSnapshot(t *testing.T, h *Handler) []byte {
	t.Helper()
	b, err := h.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// restored returns a harness whose fresh handler restored snap.
func restored(t *testing.T, snap []byte) *harness {
	t.Helper()
	y := newHarnessWith(t, snapCfg)
	if err := y.h.Restore(snap); err != nil {
		t.Fatal(err)
	}
	return y
}

func TestSnapshotRoundTrip(t *testing.T) {
	w := newSnapWorld(t)
	snap := mustSnapshot(t, w.x.h)
	for range 5 {
		if again := mustSnapshot(t, w.x.h); !bytes.Equal(again, snap) {
			t.Fatal("two snapshots of the same state differ")
		}
	}
	y := restored(t, snap)
	if got := mustSnapshot(t, y.h); !bytes.Equal(got, snap) {
		t.Fatalf("snapshot of the restored handler differs:\n%s\nwant\n%s", got, snap)
	}
	if !sameState(w.x.h, y.h) {
		t.Fatal("the restored state differs from the original")
	}

	// A handler rebuilt from the log holds the same state, and so writes
	// the same snapshot.
	z := newHarnessWith(t, snapCfg)
	for _, env := range w.x.log {
		p, err := z.reg.Decode(env)
		if err != nil {
			t.Fatal(err)
		}
		z.h.Apply(env, p)
	}
	if got := mustSnapshot(t, z.h); !bytes.Equal(got, snap) {
		t.Fatal("snapshot of the handler rebuilt from the log differs")
	}

	// Every checkpoint taken while building round-trips too, including
	// the empty handler's.
	for i, cp := range append([]snapCheckpoint{{snap: mustSnapshot(t, newHarnessWith(t, snapCfg).h)}}, w.checkpoints...) {
		if got := mustSnapshot(t, restored(t, cp.snap).h); !bytes.Equal(got, cp.snap) {
			t.Fatalf("checkpoint %d does not round-trip", i)
		}
	}

	// The format: versioned, sorted, exact money, UTC times.
	var doc snapshotV2
	if err := json.Unmarshal(snap, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != 3 || len(doc.Payments) != len(snapPaymentScripts) || len(doc.Signings) != len(snapSigningScripts) ||
		len(doc.Timers) != w.x.h.timers.len() {
		t.Fatalf("snapshot holds version %d, %d payments, %d signings, %d timers", doc.Version, len(doc.Payments), len(doc.Signings), len(doc.Timers))
	}
	if !slices.IsSortedFunc(doc.Payments, func(a, b paymentSnap) int { return strings.Compare(a.ID, b.ID) }) ||
		!slices.IsSortedFunc(doc.Signings, func(a, b signingSnap) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("sagas are not sorted by ID")
	}
	for _, s := range doc.Signings {
		if !slices.IsSortedFunc(s.Confirms, func(a, b confirmSnap) int { return strings.Compare(a.Key, b.Key) }) {
			t.Errorf("confirms of %s are not sorted by key", s.ID)
		}
	}
	if !bytes.Contains(snap, []byte(`"amount":{"amount":"99999.99","currency":"CNY"}`)) {
		t.Error("amounts are not written as events.Money")
	}
	if !bytes.Contains(snap, []byte(`"at":"2026-03-02T01:00:02.173Z"`)) {
		t.Error("times are not written in RFC 3339 UTC with nanoseconds")
	}
}

// The restored handler decides exactly as the original: on every message
// any saga can get next (probed without folding), on Due at every moment,
// and along random continuations that fold what they decide.
func TestSnapshotRestoredDecidesAlike(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run("seed "+strconv.FormatUint(seed, 10), func(t *testing.T) {
			w := newSnapWorld(t)
			a := w.x.h
			y := restored(t, mustSnapshot(t, a))
			b := y.h
			compare := func(what string, m processor.Message) {
				t.Helper()
				outA, errA := snapHandle(t, w.x.reg, a, m)
				outB, errB := snapHandle(t, y.reg, b, m)
				if ra, rb := render(t, outA, errA), render(t, outB, errB); ra != rb {
					t.Fatalf("%s: restored handler decided\n%s\noriginal\n%s", what, rb, ra)
				}
			}
			probe := func(what string, m processor.Message) {
				t.Helper()
				outA, errA := a.Handle(m)
				outB, errB := b.Handle(m)
				if ra, rb := render(t, outA, errA), render(t, outB, errB); ra != rb {
					t.Fatalf("probe %s: restored handler decided\n%s\noriginal\n%s", what, rb, ra)
				}
			}
			due := func(now time.Time) {
				t.Helper()
				if da, db := renderDue(t, a, now), renderDue(t, b, now); da != db {
					t.Fatalf("Due(%s): restored\n%s\noriginal\n%s", now.Format(time.RFC3339Nano), db, da)
				}
			}
			views := func() {
				t.Helper()
				for _, s := range w.sagas {
					if va, vb := view(t, a, s), view(t, b, s); va != vb {
						t.Fatalf("saga %d: restored view\n%s\noriginal\n%s", s.n, vb, va)
					}
				}
			}

			views()
			if seed == 1 { // the probes do not depend on the seed
				for i := range 4 * 70 {
					due(at(time.Duration(i) * 250 * ms))
				}
				due(at(time.Hour))
				for _, s := range w.sagas {
					for _, m := range w.sent[s.id] {
						probe(fmt.Sprintf("saga %d: redelivered %s", s.n, m.Envelope.Type), m)
					}
					for _, now := range []time.Time{at(2 * time.Second), at(12 * time.Second), at(time.Hour)} {
						for _, do := range w.actions(s, "probe") {
							probe(fmt.Sprintf("saga %d: %s at %s", s.n, do, now.Format(time.RFC3339Nano)), w.message(s, do, now))
						}
					}
				}
			}

			rng := rand.New(rand.NewPCG(seed, 42))
			clock := at(2 * time.Second)
			for i := range 600 {
				clock = clock.Add(time.Duration(rng.IntN(700)) * ms)
				switch r := rng.IntN(20); {
				case r < 2: // a tick: Due, and one of its commands comes back
					due(clock)
					cmds := a.Due(clock)
					if len(cmds) == 0 {
						continue
					}
					o := cmds[rng.IntN(len(cmds))]
					env, err := events.Unmarshal(o.Value)
					if err != nil {
						t.Fatal(err)
					}
					p, err := w.x.reg.Decode(env)
					if err != nil {
						t.Fatal(err)
					}
					m := processor.Message{Topic: o.Topic, Key: []byte(o.Key), Value: o.Value, Envelope: env, Payload: p, Time: clock}
					compare(fmt.Sprintf("step %d: deadline of %s", i, o.Key), m)
				case r < 4: // a new saga starts
					var s snapSaga
					if r == 2 {
						s = snapPay(w.next)
					} else {
						s = snapSign(w.next)
					}
					w.next++
					w.sagas = append(w.sagas, s)
					do := "start"
					if s.signing {
						do = "sign"
					}
					m := w.message(s, do, clock)
					w.sent[s.id] = append(w.sent[s.id], m)
					compare(fmt.Sprintf("step %d: saga %d starts", i, s.n), m)
				default:
					s := w.sagas[rng.IntN(len(w.sagas))]
					var m processor.Message
					var what string
					if sent := w.sent[s.id]; rng.IntN(5) == 0 {
						m = sent[rng.IntN(len(sent))]
						what = "redelivered " + m.Envelope.Type
					} else {
						list := w.actions(s, "r"+strconv.Itoa(i))
						what = list[rng.IntN(len(list))]
						m = w.message(s, what, clock)
						w.sent[s.id] = append(w.sent[s.id], m)
					}
					compare(fmt.Sprintf("step %d: saga %d: %s", i, s.n, what), m)
					if va, vb := view(t, a, s), view(t, b, s); va != vb {
						t.Fatalf("step %d: saga %d: restored view\n%s\noriginal\n%s", i, s.n, vb, va)
					}
				}
			}
			views()
			for _, now := range []time.Time{clock, clock.Add(time.Minute), clock.Add(time.Hour)} {
				due(now)
			}
			if sa, sb := mustSnapshot(t, a), mustSnapshot(t, b); !bytes.Equal(sa, sb) {
				t.Fatal("after the same messages the snapshots differ")
			}
		})
	}
}

// mutate applies f to the generic JSON form of snap.
func mutate(t *testing.T, snap []byte, f func(doc map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(snap, &doc); err != nil {
		t.Fatal(err)
	}
	f(doc)
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func list(doc map[string]any, name string) []any { return doc[name].([]any) }

func obj(v any) map[string]any { return v.(map[string]any) }

// find returns the first saga of kind ("payments" or "signings") for which
// ok holds.
func find(t *testing.T, doc map[string]any, kind string, ok func(s map[string]any) bool) map[string]any {
	t.Helper()
	for _, s := range list(doc, kind) {
		if ok(obj(s)) {
			return obj(s)
		}
	}
	t.Fatalf("no such %s in the snapshot", kind)
	return nil
}

func isRunning(s map[string]any) bool   { return s["run"] != nil }
func withRefunds(s map[string]any) bool { r, _ := s["refunds"].([]any); return len(r) > 0 }
func isFinished(s map[string]any) bool  { return s["run"] == nil }

func correcting(s map[string]any) bool {
	return s["correction"] != nil && obj(s["correction"])["done"] == false
}

func corrected(s map[string]any) bool {
	return s["correction"] != nil && obj(s["correction"])["done"] == true
}

func uncorrected(status string) func(s map[string]any) bool {
	return func(s map[string]any) bool { return s["correction"] == nil && obj(s["end"])["status"] == status }
}

func correctionOf(t *testing.T, d map[string]any, ok func(s map[string]any) bool) map[string]any {
	t.Helper()
	return obj(find(t, d, "payments", ok)["correction"])
}

func TestRestoreRefuses(t *testing.T) {
	w := newSnapWorld(t)
	good := mustSnapshot(t, w.x.h)

	notFresh := map[string]func(t *testing.T) *Handler{
		"a saga applied": func(t *testing.T) *Handler {
			x := newHarnessWith(t, snapCfg)
			x.handle(x.msg(snapPay(0).payRequest("h"), t0))
			return x.h
		},
		"a finished saga only, no timer": func(t *testing.T) *Handler {
			x := newHarnessWith(t, snapCfg)
			x.handle(x.msg(snapSign(0).signRequest("h"), t0))
			x.handle(x.msg(events.SigningRefused{SigningID: snapSign(0).id, ReasonCode: events.ReasonIdentityMismatch}, t0))
			return x.h
		},
		"restored already": func(t *testing.T) *Handler { return restored(t, good).h },
	}
	for name, build := range notFresh {
		t.Run("not fresh: "+name, func(t *testing.T) {
			h := build(t)
			before := mustSnapshot(t, h)
			if err := h.Restore(good); !errors.Is(err, ErrNotFresh) {
				t.Fatalf("Restore: %v, want ErrNotFresh", err)
			}
			if after := mustSnapshot(t, h); !bytes.Equal(after, before) {
				t.Fatal("a refused Restore changed the state")
			}
		})
	}

	firstTimer := func(doc map[string]any) map[string]any { return obj(list(doc, "timers")[0]) }
	cases := []struct {
		name  string
		input []byte
		want  error
	}{
		{"nil", nil, ErrSnapshotMalformed},
		{"empty", []byte(""), ErrSnapshotMalformed},
		{"garbage", []byte("garbage"), ErrSnapshotMalformed},
		{"truncated", good[:len(good)/2], ErrSnapshotMalformed},
		{"array", []byte("[]"), ErrSnapshotMalformed},
		{"null", []byte("null"), ErrSnapshotMalformed},
		{"no version", []byte(`{"payments":[],"signings":[],"timers":[]}`), ErrSnapshotMalformed},
		{"version as a string", []byte(`{"version":"1"}`), ErrSnapshotMalformed},
		{"version 0", []byte(`{"version":0,"payments":[],"signings":[],"timers":[]}`), ErrSnapshotVersion},
		{"version 1: no keys kept for corrections", mutate(t, good, func(d map[string]any) { d["version"] = 1 }), ErrSnapshotVersion},
		{"version 2: no keys kept for refunds", mutate(t, good, func(d map[string]any) { d["version"] = 2 }), ErrSnapshotVersion},
		{"version 4", mutate(t, good, func(d map[string]any) { d["version"] = 4 }), ErrSnapshotVersion},
		{"version -1", []byte(`{"version":-1}`), ErrSnapshotVersion},
		{"trailing data", append(append([]byte{}, good...), "{}"...), ErrSnapshotMalformed},
		{"unknown member", mutate(t, good, func(d map[string]any) { d["shards"] = 3 }), ErrSnapshotMalformed},
		{"unknown saga member", mutate(t, good, func(d map[string]any) { obj(list(d, "payments")[0])["colour"] = "red" }), ErrSnapshotMalformed},
		{"payment twice", mutate(t, good, func(d map[string]any) { d["payments"] = append(list(d, "payments"), list(d, "payments")[0]) }), ErrSnapshotMalformed},
		{"payment without ID", mutate(t, good, func(d map[string]any) { obj(list(d, "payments")[0])["id"] = "" }), ErrSnapshotMalformed},
		{"signing with a payment's ID", mutate(t, good, func(d map[string]any) {
			obj(list(d, "signings")[0])["id"] = obj(list(d, "payments")[0])["id"]
		}), ErrSnapshotMalformed},
		{"sequence 0", mutate(t, good, func(d map[string]any) { obj(list(d, "signings")[0])["seq"] = 0 }), ErrSnapshotMalformed},
		{"sequence negative", mutate(t, good, func(d map[string]any) { obj(list(d, "signings")[0])["seq"] = -1 }), ErrSnapshotMalformed},
		{"unknown latest event", mutate(t, good, func(d map[string]any) { obj(obj(list(d, "payments")[0])["last"])["kind"] = "payment.teleported" }), ErrSnapshotMalformed},
		{"signing event on a payment", mutate(t, good, func(d map[string]any) { obj(obj(list(d, "payments")[0])["last"])["kind"] = "signing.started" }), ErrSnapshotMalformed},
		{"unknown step", mutate(t, good, func(d map[string]any) { obj(find(t, d, "payments", isRunning)["run"])["step"] = "await_godot" }), ErrSnapshotMalformed},
		{"signing step on a payment", mutate(t, good, func(d map[string]any) { obj(find(t, d, "payments", isRunning)["run"])["step"] = events.StepAwaitCode }), ErrSnapshotMalformed},
		{"time not in UTC", mutate(t, good, func(d map[string]any) { obj(obj(list(d, "payments")[0])["last"])["at"] = "2026-03-02T09:00:00+08:00" }), ErrSnapshotMalformed},
		{"time garbage", mutate(t, good, func(d map[string]any) { obj(list(d, "signings")[0])["sms_sent_at"] = "yesterday" }), ErrSnapshotMalformed},
		{"time a number", mutate(t, good, func(d map[string]any) { obj(obj(list(d, "payments")[0])["end"])["at"] = 1 }), ErrSnapshotMalformed},
		{"running without a deadline", mutate(t, good, func(d map[string]any) { obj(find(t, d, "signings", isRunning)["run"])["deadline"] = "" }), ErrSnapshotMalformed},
		{"no amount", mutate(t, good, func(d map[string]any) { delete(obj(list(d, "payments")[0]), "amount") }), ErrSnapshotMalformed},
		{"amount a float", mutate(t, good, func(d map[string]any) { obj(list(d, "payments")[0])["amount"] = 12.34 }), ErrSnapshotMalformed},
		{"amount with fractions of a fen", mutate(t, good, func(d map[string]any) {
			obj(list(d, "payments")[0])["amount"] = map[string]any{"amount": "1.234", "currency": "CNY"}
		}), ErrSnapshotMalformed},
		{"running with a final status", mutate(t, good, func(d map[string]any) { obj(find(t, d, "payments", isRunning)["end"])["status"] = "success" }), ErrSnapshotMalformed},
		{"finished without one", mutate(t, good, func(d map[string]any) { obj(find(t, d, "signings", isFinished)["end"])["status"] = "" }), ErrSnapshotMalformed},
		{"pending confirm missing", mutate(t, good, func(d map[string]any) {
			find(t, d, "signings", func(s map[string]any) bool { return isRunning(s) && obj(s["run"])["pending"] != "" })["confirms"] = []any{}
		}), ErrSnapshotMalformed},
		{"confirm twice", mutate(t, good, func(d map[string]any) {
			s := find(t, d, "signings", func(s map[string]any) bool { return len(s["confirms"].([]any)) > 0 })
			s["confirms"] = append(s["confirms"].([]any), s["confirms"].([]any)[0])
		}), ErrSnapshotMalformed},
		{"timer missing", mutate(t, good, func(d map[string]any) { d["timers"] = list(d, "timers")[1:] }), ErrSnapshotMalformed},
		{"timer twice", mutate(t, good, func(d map[string]any) { list(d, "timers")[1] = list(d, "timers")[0] }), ErrSnapshotMalformed},
		{"timer for a finished saga", mutate(t, good, func(d map[string]any) { firstTimer(d)["id"] = find(t, d, "payments", isFinished)["id"] }), ErrSnapshotMalformed},
		{"timer for no saga", mutate(t, good, func(d map[string]any) { firstTimer(d)["id"] = "nobody" }), ErrSnapshotMalformed},
		{"timer not at the deadline", mutate(t, good, func(d map[string]any) { firstTimer(d)["at"] = "2000-01-01T00:00:00Z" }), ErrSnapshotMalformed},
		{"timers out of heap order", mutate(t, good, func(d map[string]any) {
			ts := list(d, "timers")
			ts[0], ts[len(ts)-1] = ts[len(ts)-1], ts[0]
		}), ErrSnapshotMalformed},
		{"correction of a running payment", mutate(t, good, func(d map[string]any) {
			find(t, d, "payments", isRunning)["correction"] = find(t, d, "payments", correcting)["correction"]
		}), ErrSnapshotMalformed},
		{"correction without a discrepancy", mutate(t, good, func(d map[string]any) { correctionOf(t, d, corrected)["discrepancy_id"] = "" }), ErrSnapshotMalformed},
		{"correction by an unknown action", mutate(t, good, func(d map[string]any) { correctionOf(t, d, corrected)["action"] = "write_off" }), ErrSnapshotMalformed},
		{"correction not fitting the status", mutate(t, good, func(d map[string]any) {
			s := find(t, d, "payments", uncorrected(events.StatusSuccess))
			s["correction"] = find(t, d, "payments", corrected)["correction"]
		}), ErrSnapshotMalformed},
		{"refund turned credit", mutate(t, good, func(d map[string]any) {
			c := correctionOf(t, d, func(s map[string]any) bool {
				return corrected(s) && obj(s["correction"])["requested"] == events.ActionRefundCustomer
			})
			c["action"] = events.ActionCreditReserve
		}), ErrSnapshotMalformed},
		{"correction attempt 0", mutate(t, good, func(d map[string]any) { correctionOf(t, d, correcting)["attempt"] = 0 }), ErrSnapshotMalformed},
		{"correction entered by no event", mutate(t, good, func(d map[string]any) { obj(correctionOf(t, d, correcting)["entered"])["id"] = "" }), ErrSnapshotMalformed},
		{"correction done without an amount", mutate(t, good, func(d map[string]any) { correctionOf(t, d, corrected)["amount"] = nil }), ErrSnapshotMalformed},
		{"correction running with an amount", mutate(t, good, func(d map[string]any) {
			correctionOf(t, d, correcting)["amount"] = map[string]any{"amount": "0.00", "currency": "CNY"}
		}), ErrSnapshotMalformed},
		{"corrected by another amount", mutate(t, good, func(d map[string]any) {
			correctionOf(t, d, corrected)["amount"] = map[string]any{"amount": "0.02", "currency": "CNY"}
		}), ErrSnapshotMalformed},
		{"correction running without its timer", mutate(t, good, func(d map[string]any) {
			id := find(t, d, "payments", correcting)["id"]
			d["timers"] = slices.DeleteFunc(list(d, "timers"), func(tm any) bool { return obj(tm)["id"] == id })
		}), ErrSnapshotMalformed},
		{"keys dropped before the correction ended", mutate(t, good, func(d map[string]any) {
			obj(find(t, d, "payments", correcting)["end"])["payer_key"] = ""
		}), ErrSnapshotMalformed},
		{"keys kept after the correction ended", mutate(t, good, func(d map[string]any) {
			obj(find(t, d, "payments", corrected)["end"])["payer_key"] = "payer-1"
		}), ErrSnapshotMalformed},
		{"keys kept by a success", mutate(t, good, func(d map[string]any) {
			obj(find(t, d, "payments", uncorrected(events.StatusSuccess))["end"])["reserve_account"] = "reserve-1"
		}), ErrSnapshotMalformed},
		{"a correction's event without a correction", mutate(t, good, func(d map[string]any) {
			obj(find(t, d, "payments", uncorrected(events.StatusPresumedFailure))["last"])["kind"] = "payment.corrected"
		}), ErrSnapshotMalformed},
		{"refund keys dropped from a success", mutate(t, good, func(d map[string]any) {
			obj(find(t, d, "payments", withRefunds)["end"])["refund"] = nil
		}), ErrSnapshotMalformed},
		{"refunds holding more than their payment", mutate(t, good, func(d map[string]any) {
			f := obj(list(find(t, d, "payments", withRefunds), "refunds")[0])
			obj(f["amount"])["amount"] = "99999999.99"
		}), ErrSnapshotMalformed},
		{"a refund twice", mutate(t, good, func(d map[string]any) {
			p := find(t, d, "payments", withRefunds)
			p["refunds"] = append(list(p, "refunds"), list(p, "refunds")[0])
		}), ErrSnapshotMalformed},
		{"a running refund without its timer", mutate(t, good, func(d map[string]any) {
			p := find(t, d, "payments", func(s map[string]any) bool {
				return withRefunds(s) && obj(list(s, "refunds")[0])["run"] != nil
			})
			id := obj(list(p, "refunds")[0])["id"]
			d["timers"] = slices.DeleteFunc(list(d, "timers"), func(tm any) bool { return obj(tm)["id"] == id })
		}), ErrSnapshotMalformed},
		{"a rejected refund marked running", mutate(t, good, func(d map[string]any) {
			p := find(t, d, "payments", func(s map[string]any) bool {
				return withRefunds(s) && obj(list(s, "refunds")[0])["rejected"] == true
			})
			obj(list(p, "refunds")[0])["rejected"] = false
		}), ErrSnapshotMalformed},
		{"a running saga without its timer", mutate(t, good, func(d map[string]any) {
			r, f := find(t, d, "payments", isRunning), find(t, d, "payments", isFinished)
			f["run"], f["end"] = r["run"], r["end"]
		}), ErrSnapshotMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarnessWith(t, snapCfg).h
			err := h.Restore(tc.input)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Restore: %v, want %v", err, tc.want)
			}
			t.Log(err)
			// A refused snapshot leaves the handler fresh.
			if len(h.payments) != 0 || len(h.signings) != 0 || h.timers.len() != 0 {
				t.Fatal("a refused Restore left state behind")
			}
			if err := h.Restore(good); err != nil {
				t.Fatalf("Restore after a refused one: %v", err)
			}
		})
	}
}

// After Restore the fold goes on from the snapshot: events the snapshot
// covers are ignored, the tail is folded, the sequence check holds. This is
// how a partition is taken over: latest snapshot, then the log.
func TestApplyAfterRestore(t *testing.T) {
	w := newSnapWorld(t)
	final := mustSnapshot(t, w.x.h)
	decode := func(y *harness, env events.Envelope) events.Payload {
		p, err := y.reg.Decode(env)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for i, cp := range w.checkpoints {
		y := restored(t, cp.snap)
		for _, env := range w.x.log[:cp.logLen] {
			y.h.Apply(env, decode(y, env))
		}
		if got := mustSnapshot(t, y.h); !bytes.Equal(got, cp.snap) {
			t.Fatalf("checkpoint %d: folding events the snapshot covers changed the state", i)
		}
		for _, env := range w.x.log {
			y.h.Apply(env, decode(y, env)) // the covered part again, then the tail
		}
		if got := mustSnapshot(t, y.h); !bytes.Equal(got, final) {
			t.Fatalf("checkpoint %d + log tail: snapshot differs from the live handler's", i)
		}
		if !sameState(y.h, w.x.h) {
			t.Fatalf("checkpoint %d + log tail: state differs from the live handler's", i)
		}
	}

	// The sequence check survives Restore: a gap still stops the fold.
	y := restored(t, final)
	var p *payment
	for _, id := range slices.Sorted(maps.Keys(y.h.payments)) {
		if y.h.payments[id].run != nil {
			p = y.h.payments[id]
			break
		}
	}
	ev := events.PaymentFinished{TxnID: p.id, Status: events.StatusSuccess, PayerDebited: legYes, ReserveCredited: legYes}
	newEnv := func(seq uint64) events.Envelope {
		env, err := y.reg.New(p.id, seq, ev, events.Meta{ID: events.DeriveID("gap", strconv.FormatUint(seq, 10)),
			CorrelationID: "c", CausationID: "c", OccurredAt: at(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Apply after Restore accepted a sequence gap")
			}
		}()
		y.h.Apply(newEnv(p.seq+2), ev)
	}()
	y.h.Apply(newEnv(p.seq), ev) // covered by the snapshot: ignored
	if v, _ := y.h.Payment(p.id); v.Status != "" {
		t.Fatal("Apply after Restore folded an event the snapshot covers")
	}
	y.h.Apply(newEnv(p.seq+1), ev)
	if v, _ := y.h.Payment(p.id); v.Status != events.StatusSuccess || y.h.timers.byID[p.id] != nil {
		t.Fatalf("the next event after Restore: %+v, timer %v", v, y.h.timers.byID[p.id])
	}
}

// A correction's deadline derives from the configuration, so a snapshot
// taken under another retry interval describes timers this handler would
// not have: Restore refuses it, and the runtime rebuilds from the log.
func TestRestoreRefusesOtherCorrectionTimeouts(t *testing.T) {
	good := mustSnapshot(t, newSnapWorld(t).x.h)
	cfg := snapCfg
	cfg.LegTimeout = snapCfg.LegTimeout + DefaultLegTimeout + time.Second
	y := newHarnessWith(t, cfg)
	if err := y.h.Restore(good); !errors.Is(err, ErrSnapshotMalformed) {
		t.Fatalf("Restore under another LegTimeout: %v, want ErrSnapshotMalformed", err)
	}
}
