package reservebank

import (
	"errors"
	"fmt"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// Bank is the reserve bank's state for one partition of reserve.inbox and
// reserve.events: the decision on every transaction it has seen, the
// ledger (summarized postings and fundings) of every reserve account the
// partition owns, and every sub-account it owns. Like every
// processor.Handler it is used from one goroutine and needs no locks.
type Bank struct {
	cfg       Config
	reg       *events.Registry
	closed    map[string]bool
	decisions map[string]decision    // by TxnID
	accounts  map[string]*ledger     // by reserve account
	subs      map[string]*subAccount // by sub-account key
}

// decision is the bank's one decision on a transaction's credit.
type decision struct {
	// event is the log event that recorded it; replies are built from it,
	// so every re-sent reply is identical to the first.
	event          events.Envelope
	credited       bool
	reserveAccount string       // credited only
	amount         events.Money // credited only
	reasonCode     string       // refused only
}

var _ processor.Handler = (*Bank)(nil)

// NewFactory validates cfg and returns the factory of the reserve-bank
// processor: each partition gets its own empty Bank, rebuilt from its
// partition of the event log. reg must know the reserve types
// (events.Catalog does).
func NewFactory(cfg Config, reg *events.Registry) (processor.Factory, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if reg == nil {
		return nil, errors.New("reservebank: nil registry")
	}
	for _, p := range []events.Payload{
		events.CreditReserve{}, events.QueryCredit{},
		events.ReserveCredited{}, events.ReserveCreditRefused{}, events.CreditStatusReported{},
		events.PostReserveSummary{}, events.ReserveSummaryPosted{},
		events.DebitReserve{}, events.QueryReserveDebit{}, events.ReverseReserveDebit{},
		events.ReserveDebited{}, events.ReserveDebitRefused{}, events.ReserveDebitReversed{},
		events.ReserveDebitStatusReported{}, events.FundReserve{}, events.ReserveFunded{},
		events.CreditSubAccount{}, events.SubAccountCredited{}, events.ReserveDebitHeld{},
		events.BorrowStarted{}, events.BorrowFromSibling{}, events.SubAccountLent{}, events.BorrowReturned{},
	} {
		if _, ok := reg.Lookup(events.Kind{Type: p.EventType(), Version: p.EventVersion()}); !ok {
			return nil, fmt.Errorf("reservebank: registry lacks %s v%d", p.EventType(), p.EventVersion())
		}
	}
	closed := make(map[string]bool, len(cfg.ClosedAccounts))
	for _, account := range cfg.ClosedAccounts {
		closed[account] = true
	}
	return func(int) processor.Handler {
		return &Bank{cfg: cfg, reg: reg, closed: closed, decisions: map[string]decision{},
			accounts: map[string]*ledger{}, subs: map[string]*subAccount{}}
	}, nil
}

// Apply folds an event of the bank's own log into the state: a credit
// decision, a posting or funding of a reserve account, or an event of a
// sub-account. The first event at a sequence of an aggregate wins: a
// repeat of it (sequence not newer), also one written by a second owner
// during a rebalance, is ignored. Apply panics on anything the bank never
// writes (another event type, a second decision at a later sequence, an
// event filed under another aggregate, a sequence gap, balances that do
// not chain; see applySummary and subAccount.fold): the log is corrupt
// and rebuilding must stop.
func (b *Bank) Apply(env events.Envelope, p events.Payload) {
	if key, ok := subAccountOf(p); ok {
		b.applySub(env, p, key)
		return
	}
	var d decision
	var txnID string
	switch p := p.(type) {
	case events.ReserveSummaryPosted:
		b.applySummary(env, p)
		return
	case events.ReserveFunded:
		b.applyFunded(env, p)
		return
	case events.ReserveCredited:
		txnID = p.TxnID
		d = decision{credited: true, reserveAccount: p.ReserveAccount, amount: p.Amount}
	case events.ReserveCreditRefused:
		txnID = p.TxnID
		d = decision{reasonCode: p.ReasonCode}
	default:
		panic("reservebank: unexpected " + env.Type + " in the reserve log")
	}
	if txnID != env.AggregateID {
		panic("reservebank: " + env.Type + " of " + txnID + " filed under aggregate " + env.AggregateID)
	}
	if prev, ok := b.decisions[txnID]; ok {
		if env.Sequence <= prev.event.Sequence {
			return
		}
		panic(fmt.Sprintf("reservebank: second decision on %s at sequence %d", txnID, env.Sequence))
	}
	d.event = env
	b.decisions[txnID] = d
}

// applySub folds an event of the sub-account env is filed under; key is
// the sub-account the event names ("" if it names none).
func (b *Bank) applySub(env events.Envelope, p events.Payload, key string) {
	if key != "" && key != env.AggregateID {
		panic("reservebank: " + env.Type + " of " + key + " filed under aggregate " + env.AggregateID)
	}
	if _, _, ok := events.ParseSubAccountKey(env.AggregateID); !ok {
		panic("reservebank: " + env.Type + " filed under " + env.AggregateID + ", not a sub-account")
	}
	s := b.subs[env.AggregateID]
	if s == nil {
		s = newSubAccount(env.AggregateID)
	}
	if env.Sequence <= s.seq {
		return
	}
	if env.Sequence != s.seq+1 {
		panic(fmt.Sprintf("reservebank: %s of %s at sequence %d after %d", env.Type, env.AggregateID, env.Sequence, s.seq))
	}
	s.fold(env, p)
	b.subs[env.AggregateID] = s
}

// Due returns nil: the bank has no deadlines; the saga keeps them.
func (*Bank) Due(time.Time) []processor.Outbound { return nil }

// Handle decides on a credit or its status query (keyed by transaction), a
// summarized posting or a funding (keyed by reserve account), or a refund
// debit, its query or reversal, a share or a borrow round (keyed by
// sub-account). It returns an error for a command that cannot be meant for
// the bank (another type, or one routed under another aggregate's key), a
// malformed one, one for a sub-account beyond Config.SubAccounts, or a
// posting or funding that contradicts the one already made
// (ErrSummaryConflict, ErrFundingConflict); the runtime parks it as
// poison.
func (b *Bank) Handle(msg processor.Message) (processor.Output, error) {
	switch cmd := msg.Payload.(type) {
	case events.CreditReserve:
		if err := checkRouting(msg, cmd.TxnID); err != nil {
			return processor.Output{}, err
		}
		return b.credit(msg, cmd)
	case events.QueryCredit:
		if err := checkRouting(msg, cmd.TxnID); err != nil {
			return processor.Output{}, err
		}
		return b.query(msg, cmd)
	case events.PostReserveSummary:
		if err := checkRouting(msg, cmd.ReserveAccount); err != nil {
			return processor.Output{}, err
		}
		return b.postSummary(msg, cmd)
	case events.FundReserve:
		if err := checkRouting(msg, cmd.ReserveAccount); err != nil {
			return processor.Output{}, err
		}
		return b.fundReserve(msg, cmd)
	case events.DebitReserve:
		if err := checkRouting(msg, cmd.SubAccount); err != nil {
			return processor.Output{}, err
		}
		return b.debitReserve(msg, cmd)
	case events.QueryReserveDebit:
		if err := checkRouting(msg, cmd.SubAccount); err != nil {
			return processor.Output{}, err
		}
		return b.queryDebit(msg, cmd)
	case events.ReverseReserveDebit:
		if err := checkRouting(msg, cmd.SubAccount); err != nil {
			return processor.Output{}, err
		}
		return b.reverseDebit(msg, cmd)
	case events.CreditSubAccount:
		if err := checkRouting(msg, cmd.SubAccount); err != nil {
			return processor.Output{}, err
		}
		return b.creditSubAccount(msg, cmd)
	case events.BorrowFromSibling:
		if err := checkRouting(msg, cmd.SubAccount); err != nil {
			return processor.Output{}, err
		}
		return b.borrow(msg, cmd)
	}
	return processor.Output{}, fmt.Errorf("reservebank: cannot handle %s", msg.Envelope.Type)
}

// checkRouting refuses a command whose key (its transaction, reserve
// account or sub-account) is not the aggregate it was keyed by: this
// partition may not own that key's state.
func checkRouting(msg processor.Message, key string) error {
	if key == "" || key != msg.Envelope.AggregateID {
		return fmt.Errorf("reservebank: %s for %q keyed by %q", msg.Envelope.Type, key, msg.Envelope.AggregateID)
	}
	return nil
}

// Credited returns the amount credited for a transaction, and whether the
// bank credited it at all (false for refused or unknown transactions).
func (b *Bank) Credited(txnID string) (events.Money, bool) {
	d, ok := b.decisions[txnID]
	if !ok || !d.credited {
		return events.Money{}, false
	}
	return d.amount, true
}

// Total sums the credits recorded for a reserve account in this partition.
// It walks every record, which suits tests and audits: the bank keeps no
// running balance of credits, only of summarized postings
// (SummarizedBalance), which live in the account's own partition.
//
// It panics if the sum exceeds events.MaxAmount, which no real reserve
// account approaches.
func (b *Bank) Total(reserveAccount string) events.Money {
	total := events.ZeroCNY()
	for txnID, d := range b.decisions {
		if !d.credited || d.reserveAccount != reserveAccount {
			continue
		}
		sum, err := total.Add(d.amount)
		if err != nil {
			panic("reservebank: total of " + reserveAccount + " at " + txnID + ": " + err.Error())
		}
		total = sum
	}
	return total
}
