package reservebank

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/processor"
)

// The seeded workload: fundings, summarized postings, refund debits,
// reversals and queries on two reserve accounts, run through a cluster of
// Bank partitions wired by an in-memory router. Messages are delivered in
// a random order, some twice (a redelivery after a crash), with the link
// faults on. After every message the auditor checks:
//
//   - no sub-account balance is ever negative, and the banks' balances
//     are the ones their events say;
//   - money is conserved: funded + posted − debited + reversed =
//     Σ balances + lent not yet returned + shares not yet credited, the
//     two amounts in flight never negative;
//   - every loan of a round gave all the sibling had, or all that was
//     needed, or nothing because the sibling's own round had priority;
//   - a reply with a given ID always has the same bytes.
//
// At a refusal for insufficiency it checks what can be checked honestly:
// if the round that decided it was quiet (no other round of the account
// out at any time during it, no money landing on a sibling meanwhile),
// the whole account held less than the debit at that moment. A refusal
// after a contended round is counted, not checked: money may have been in
// flight between siblings (see the package doc). When everything has been
// delivered: nothing is in flight, no debit is held, Σ balances equals
// funded + posted − debited + reversed exactly, and each sub-account
// decided its debits in the order they arrived.
//
// In sequential mode each command runs to quiescence before the next: all
// refusals are then quiet, so every refusal is exact.

func TestRandomizedLedger(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			runLedgerWorkload(t, seed, false)
		})
	}
}

func TestSequentialRefusalsAreExact(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			runLedgerWorkload(t, seed, true)
		})
	}
}

const (
	workloadPartitions = 3
	workloadCommands   = 500
	redeliveryRate     = 0.1
)

var workloadAccounts = []string{"RSV-a", "RSV-b"}

type cluster struct {
	t      *testing.T
	rnd    *rand.Rand
	banks  []*Bank
	now    time.Time
	pool   []pooled
	replay map[string]string // reply ID → bytes
	aud    *auditor
	n      int // commands injected
}

type pooled struct {
	m          processor.Message
	redelivery bool
}

func newCluster(t *testing.T, seed uint64) *cluster {
	link, err := banklink.New(banklink.Config{Seed: seed, TimeoutRate: 0.1, LostReplyRate: 0.1, QueryUnknownRate: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	factory, err := NewFactory(Config{Topics: Topics{SagaInbox: sagaInbox, ReserveInbox: reserveInbox}, Link: link, SubAccounts: nSubs}, reg)
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, rnd: rand.New(rand.NewPCG(seed, seed*7919)), now: t0, replay: map[string]string{}, aud: newAuditor(t)}
	for p := range workloadPartitions {
		c.banks = append(c.banks, factory(p).(*Bank))
	}
	return c
}

func (c *cluster) route(key string) *Bank {
	h := fnv.New32a()
	h.Write([]byte(key))
	return c.banks[h.Sum32()%workloadPartitions]
}

func (c *cluster) deliver(m processor.Message) {
	c.t.Helper()
	c.now = c.now.Add(time.Millisecond)
	m.Time = c.now
	b := c.route(m.Envelope.AggregateID)
	out, err := b.Handle(m)
	if err != nil {
		c.t.Fatalf("Handle %s %s: %v", m.Envelope.Type, m.Envelope.AggregateID, err)
	}
	for i, ev := range out.Events {
		b.Apply(ev, out.Payloads[i])
		c.aud.event(ev, out.Payloads[i])
	}
	for _, o := range out.Messages {
		switch o.Topic {
		case reserveInbox:
			env, p := decoded(c.t, o)
			c.pool = append(c.pool, pooled{m: processor.Message{Topic: o.Topic, Key: []byte(o.Key), Value: o.Value, Envelope: env, Payload: p}})
		case sagaInbox:
			env, p := decoded(c.t, o)
			if prev, ok := c.replay[env.ID]; ok && prev != string(o.Value) {
				c.t.Fatalf("reply %s sent with different bytes:\n%s\n%s", env.ID, prev, o.Value)
			}
			c.replay[env.ID] = string(o.Value)
			if d, ok := p.(events.ReserveDebited); ok {
				c.aud.debitedSeen = append(c.aud.debitedSeen, d)
			}
		}
	}
	c.aud.check(c.banks)
}

// inject sends the next workload command.
func (c *cluster) inject() {
	c.n++
	account := workloadAccounts[c.rnd.IntN(len(workloadAccounts))]
	amount := func(maxFen int) events.Money { return fen(int64(1 + c.rnd.IntN(maxFen))) }
	name := fmt.Sprint("cmd ", c.n)
	msg := func(key string, p events.Payload) processor.Message {
		env, err := reg.New(key, 1, p, events.Meta{ID: events.DeriveID(name), CorrelationID: events.DeriveID("corr", name), CausationID: events.DeriveID("cause", name), OccurredAt: c.now})
		if err != nil {
			c.t.Fatal(err)
		}
		return processor.Message{Topic: reserveInbox, Key: []byte(key), Envelope: env, Payload: p}
	}
	var m processor.Message
	switch r := c.rnd.IntN(100); {
	case r < 12:
		m = msg(account, events.FundReserve{FundingID: name, ReserveAccount: account, Amount: amount(30000)})
	case r < 20:
		m = msg(account, events.PostReserveSummary{ReserveAccount: account, BatchID: name, Amount: amount(30000), Credits: 1})
	case r < 72:
		i := c.rnd.IntN(nSubs)
		key := events.SubAccountKey(account, i)
		c.aud.issued = append(c.aud.issued, key+"|"+events.DeriveID(name))
		m = msg(key, events.DebitReserve{DebitID: events.DeriveID(name), TxnID: events.DeriveID("txn", name), RefundID: events.DeriveID("refund", name),
			ReserveAccount: account, SubAccount: key, ChannelID: "ch", Amount: amount(20000)})
	case r < 84 && len(c.aud.debitedSeen) > 0:
		d := c.aud.debitedSeen[c.rnd.IntN(len(c.aud.debitedSeen))]
		m = msg(d.SubAccount, events.ReverseReserveDebit{DebitID: d.DebitID, TxnID: d.TxnID, RefundID: d.RefundID, SubAccount: d.SubAccount, Attempt: 1})
	case len(c.aud.issued) > 0:
		key, id := splitIssued(c.aud.issued[c.rnd.IntN(len(c.aud.issued))])
		m = msg(key, events.QueryReserveDebit{DebitID: id, TxnID: "t-" + id, SubAccount: key, Attempt: 1})
	default:
		m = msg(account, events.FundReserve{FundingID: name, ReserveAccount: account, Amount: amount(100)})
	}
	c.deliver(m)
}

func splitIssued(s string) (key, id string) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '|' {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// step delivers a random pooled message, keeping a copy for one later
// redelivery now and then.
func (c *cluster) step() {
	i := c.rnd.IntN(len(c.pool))
	p := c.pool[i]
	c.pool = slices.Delete(c.pool, i, i+1)
	if !p.redelivery && c.rnd.Float64() < redeliveryRate {
		c.pool = append(c.pool, pooled{m: p.m, redelivery: true})
	}
	c.deliver(p.m)
}

func (c *cluster) drain() {
	for i := 0; len(c.pool) > 0; i++ {
		if i > 1_000_000 {
			c.t.Fatal("messages do not settle")
		}
		c.step()
	}
}

func runLedgerWorkload(t *testing.T, seed uint64, sequential bool) {
	c := newCluster(t, seed)
	for c.n < workloadCommands {
		if sequential {
			c.inject()
			c.drain()
			continue
		}
		if len(c.pool) == 0 || c.rnd.IntN(3) == 0 {
			c.inject()
		} else {
			c.step()
		}
	}
	c.drain()
	c.aud.quiescent(c.banks)
	t.Logf("%d debits, %d quiet refusals checked, %d contended refusals, %d rounds", c.aud.decided, c.aud.quietRefusals, c.aud.contendedRefusals, c.aud.rounds)
	if c.aud.quietRefusals == 0 {
		t.Fatal("no quiet refusal: the exactness check was never exercised")
	}
	if sequential && c.aud.contendedRefusals != 0 {
		t.Fatalf("%d contended refusals in sequential mode", c.aud.contendedRefusals)
	}
}

// auditor follows every event the cluster records, in order.
type auditor struct {
	t           *testing.T
	balance     map[string]events.Money // by sub-account, from BalanceAfter
	in          map[string]events.Money // per account: funded + posted
	credited    map[string]events.Money // per account: shares credited
	debitedSum  map[string]events.Money
	reversedSum map[string]events.Money
	lentSum     map[string]events.Money
	returnedSum map[string]events.Money
	amounts     map[string]events.Money // held debits' amounts by debit ID
	// rounds out per account, and whether each was disturbed.
	out         map[string]map[string]bool
	lastReturn  map[string]bool // per sub-account: was its latest returned round disturbed
	arrivals    map[string][]string
	decisions   map[string][]string
	issued      []string
	debitedSeen []events.ReserveDebited

	decided, quietRefusals, contendedRefusals, rounds int
}

func newAuditor(t *testing.T) *auditor {
	return &auditor{t: t, balance: map[string]events.Money{}, in: map[string]events.Money{}, credited: map[string]events.Money{},
		debitedSum: map[string]events.Money{}, reversedSum: map[string]events.Money{}, lentSum: map[string]events.Money{},
		returnedSum: map[string]events.Money{}, amounts: map[string]events.Money{}, out: map[string]map[string]bool{},
		lastReturn: map[string]bool{}, arrivals: map[string][]string{}, decisions: map[string][]string{}}
}

func add(m map[string]events.Money, key string, amount events.Money) {
	cur, ok := m[key]
	if !ok {
		cur = events.ZeroCNY()
	}
	sum, err := cur.Add(amount)
	if err != nil {
		panic(err)
	}
	m[key] = sum
}

func get(m map[string]events.Money, key string) events.Money {
	if v, ok := m[key]; ok {
		return v
	}
	return events.ZeroCNY()
}

func accountOf(key string) string {
	account, _, ok := events.ParseSubAccountKey(key)
	if !ok {
		return key
	}
	return account
}

func (a *auditor) accountTotal(account string) events.Money {
	total := events.ZeroCNY()
	for key, m := range a.balance {
		if accountOf(key) == account {
			total, _ = total.Add(m)
		}
	}
	return total
}

func (a *auditor) event(env events.Envelope, p events.Payload) {
	t := a.t
	key := env.AggregateID
	account := accountOf(key)
	setBalance := func(after events.Money) {
		if after.IsNegative() {
			t.Fatalf("%s: balance %s after %s", key, after, env.Type)
		}
		a.balance[key] = after
	}
	switch e := p.(type) {
	case events.ReserveFunded:
		add(a.in, account, e.Amount)
	case events.ReserveSummaryPosted:
		add(a.in, account, e.Amount)
	case events.SubAccountCredited:
		add(a.credited, account, e.Amount)
		setBalance(e.BalanceAfter)
		a.disturbRoundsBut(account, key)
	case events.ReserveDebitHeld:
		a.amounts[e.DebitID] = e.Amount
		a.arrivals[key] = append(a.arrivals[key], e.DebitID)
	case events.BorrowStarted:
		if a.out[account] == nil {
			a.out[account] = map[string]bool{}
		}
		disturbed := len(a.out[account]) > 0
		for id := range a.out[account] {
			a.out[account][id] = true
		}
		a.out[account][roundKey(key, e.BorrowID)] = disturbed
		a.rounds++
	case events.SubAccountLent:
		if !e.BalanceAfter.IsZero() && !e.Need.IsZero() && !(e.Amount.IsZero() && e.Contended) {
			t.Fatalf("%s lent %s to round %s and kept %s while %s was still needed", key, e.Amount, e.BorrowID, e.BalanceAfter, e.Need)
		}
		add(a.lentSum, account, e.Amount)
		setBalance(e.BalanceAfter)
	case events.BorrowReturned:
		add(a.returnedSum, account, e.Amount)
		setBalance(e.BalanceAfter)
		rk := roundKey(key, e.BorrowID)
		disturbed, ok := a.out[account][rk]
		if !ok {
			t.Fatalf("round %s returned but was not out", e.BorrowID)
		}
		delete(a.out[account], rk)
		a.lastReturn[key] = disturbed
		a.disturbRoundsBut(account, key)
	case events.ReserveDebited:
		if _, wasHeld := a.amounts[e.DebitID]; !wasHeld {
			a.arrivals[key] = append(a.arrivals[key], e.DebitID)
		}
		a.decisions[key] = append(a.decisions[key], e.DebitID)
		add(a.debitedSum, account, e.Amount)
		setBalance(e.BalanceAfter)
		a.decided++
	case events.ReserveDebitRefused:
		if e.ReasonCode != events.ReasonReserveInsufficient {
			return
		}
		a.decisions[key] = append(a.decisions[key], e.DebitID)
		a.decided++
		if a.lastReturn[key] {
			a.contendedRefusals++
			return
		}
		a.quietRefusals++
		if total, amount := a.accountTotal(account), a.amounts[e.DebitID]; total.Cmp(amount) >= 0 {
			t.Fatalf("debit %s of %s refused after a quiet round while %s held %s", e.DebitID, amount, account, total)
		}
	case events.ReserveDebitReversed:
		add(a.reversedSum, account, e.Amount)
		setBalance(e.BalanceAfter)
		a.disturbRoundsBut(account, key)
	}
}

func roundKey(sub, borrowID string) string { return sub + "|" + borrowID }

// disturbRoundsBut marks the rounds of account out as disturbed, except
// those of sub-account key itself: money landed on key.
func (a *auditor) disturbRoundsBut(account, key string) {
	for rk := range a.out[account] {
		if owner, _ := splitIssued(rk); owner != key {
			a.out[account][rk] = true
		}
	}
}

// check compares the banks with the events, and checks conservation.
func (a *auditor) check(banks []*Bank) {
	t := a.t
	for _, b := range banks {
		for key, m := range b.Balances() {
			if m.IsNegative() || !m.Equal(get(a.balance, key)) {
				t.Fatalf("%s: bank says %s, its events %s", key, m, get(a.balance, key))
			}
		}
	}
	for _, account := range workloadAccounts {
		lentOut, _ := get(a.lentSum, account).Sub(get(a.returnedSum, account))
		sharesOut, _ := get(a.in, account).Sub(get(a.credited, account))
		if lentOut.IsNegative() || sharesOut.IsNegative() {
			t.Fatalf("%s: %s lent and %s of shares in flight", account, lentOut, sharesOut)
		}
		left, _ := get(a.in, account).Sub(get(a.debitedSum, account))
		left, _ = left.Add(get(a.reversedSum, account))
		held, _ := a.accountTotal(account).Add(lentOut)
		held, _ = held.Add(sharesOut)
		if !left.Equal(held) {
			t.Fatalf("%s: in − debited + reversed = %s, balances + in flight = %s", account, left, held)
		}
	}
}

// quiescent checks the state once every message has been delivered.
func (a *auditor) quiescent(banks []*Bank) {
	t := a.t
	for _, account := range workloadAccounts {
		if !get(a.lentSum, account).Equal(get(a.returnedSum, account)) || !get(a.in, account).Equal(get(a.credited, account)) {
			t.Fatalf("%s: money still in flight after everything was delivered", account)
		}
		if len(a.out[account]) != 0 {
			t.Fatalf("%s: %d rounds still out", account, len(a.out[account]))
		}
		want, _ := get(a.in, account).Sub(get(a.debitedSum, account))
		want, _ = want.Add(get(a.reversedSum, account))
		total := events.ZeroCNY()
		for _, b := range banks {
			for key, m := range b.Balances() {
				if accountOf(key) == account {
					total, _ = total.Add(m)
				}
			}
		}
		if !total.Equal(want) {
			t.Fatalf("%s: sub-accounts hold %s, funded + posted − debited + reversed = %s", account, total, want)
		}
	}
	for _, b := range banks {
		for key := range b.Balances() {
			if held := b.HeldDebits(key); len(held) != 0 {
				t.Fatalf("%s still holds %v", key, held)
			}
		}
	}
	for key, arrived := range a.arrivals {
		if !slices.Equal(arrived, a.decisions[key]) {
			t.Fatalf("%s decided %v, in arrival order %v", key, a.decisions[key], arrived)
		}
	}
}
