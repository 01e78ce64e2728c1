package temporal

import (
	"context"
	"fmt"
	"sync"

	"github.com/paycore/paycore/events"
)

// Banks are the saga's activities (every exported method is registered as
// one, so the inspection methods are unexported): the payer bank (customers' balances)
// and the reserve bank (reserve accounts' balances), in memory behind one
// mutex. Each activity is idempotent per payment ID: Temporal runs an
// activity at least once, and a retry must answer what the first attempt
// decided without moving money again.
type Banks struct {
	mu       sync.Mutex
	balances []events.Money          // by customer index
	debits   map[string]Leg          // payment ID → payer leg decided
	reversed map[string]bool         // payment ID → debit reversed
	reserve  map[string]events.Money // reserve account → balance
	credits  map[string]Leg          // payment ID → reserve leg decided
	closed   map[string]bool         // reserve accounts that refuse credits
	amounts  map[string]events.Money // payment ID → amount debited
}

// NewBanks opens customers accounts holding opening each, and the given
// reserve accounts at zero; closed reserve accounts refuse every credit.
func NewBanks(customers int, opening events.Money, reserve []string, closed []string) *Banks {
	b := &Banks{
		balances: make([]events.Money, customers),
		debits:   map[string]Leg{}, reversed: map[string]bool{}, credits: map[string]Leg{},
		reserve: map[string]events.Money{}, closed: map[string]bool{}, amounts: map[string]events.Money{},
	}
	for i := range b.balances {
		b.balances[i] = opening
	}
	for _, a := range reserve {
		b.reserve[a] = events.ZeroCNY()
	}
	for _, a := range closed {
		b.closed[a] = true
	}
	return b
}

// DebitPayer debits the payer once per payment, or refuses for funds.
func (b *Banks) DebitPayer(_ context.Context, p Payment) (Leg, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if leg, ok := b.debits[p.ID]; ok {
		return leg, nil
	}
	if p.Customer < 0 || p.Customer >= len(b.balances) {
		return Leg{}, fmt.Errorf("payment %s: no customer %d", p.ID, p.Customer)
	}
	leg := Leg{Refused: true, ReasonCode: events.ReasonInsufficientFunds}
	if after, err := b.balances[p.Customer].Sub(p.Amount); err == nil && !after.IsNegative() {
		b.balances[p.Customer], b.amounts[p.ID] = after, p.Amount
		leg = Leg{}
	}
	b.debits[p.ID] = leg
	return leg, nil
}

// CreditReserve credits the reserve account once per payment, or refuses
// when the account is closed or unknown.
func (b *Banks) CreditReserve(_ context.Context, p Payment) (Leg, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if leg, ok := b.credits[p.ID]; ok {
		return leg, nil
	}
	leg := Leg{Refused: true, ReasonCode: events.ReasonReserveAccountClosed}
	if balance, open := b.reserve[p.ReserveAccount]; open && !b.closed[p.ReserveAccount] {
		sum, err := balance.Add(p.Amount)
		if err != nil {
			return Leg{}, err
		}
		b.reserve[p.ReserveAccount] = sum
		leg = Leg{}
	}
	b.credits[p.ID] = leg
	return leg, nil
}

// ReverseDebit gives a debited payment's amount back to the payer, once.
// A reversal is never refused.
func (b *Banks) ReverseDebit(_ context.Context, p Payment) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	amount, debited := b.amounts[p.ID]
	if !debited || b.reversed[p.ID] {
		return nil
	}
	sum, err := b.balances[p.Customer].Add(amount)
	if err != nil {
		return err
	}
	b.balances[p.Customer], b.reversed[p.ID] = sum, true
	return nil
}

// balance returns customer's balance.
func (b *Banks) balance(customer int) events.Money {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.balances[customer]
}

// reserveBalance returns a reserve account's balance.
func (b *Banks) reserveBalance(account string) events.Money {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.reserve[account]
}

// credited counts the payments the reserve bank credited.
func (b *Banks) credited() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, leg := range b.credits {
		if !leg.Refused {
			n++
		}
	}
	return n
}
