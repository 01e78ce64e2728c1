package clearing

import (
	"fmt"
	"slices"
	"time"

	"github.com/paycore/paycore/events"
)

// Banks named in settlement instructions: the model has one payer bank
// and one reserve bank.
const (
	PayerBank   = "PAYER-BANK"
	ReserveBank = "RESERVE-BANK"
)

// Settlement is what closing a batch records: the batch and one
// high-value payment instruction (HVPS, 大额实时) per reserve account that
// receives money, ordered by account.
type Settlement struct {
	Closed       events.BatchClosed
	Instructions []events.SettlementInstructed
}

// Settle computes the settlement of batch b from its payments. Every
// payment counts in Payments; success and presumed_success ones make up
// SettledAmount and their reserve account's instruction. An account whose
// payments all failed gets no instruction: there is nothing to move. It
// fails on a payment in no final status or with a malformed amount, which
// a batch must never hold.
func Settle(b Batch, payments []Payment, closedAt time.Time) (Settlement, error) {
	total := events.ZeroCNY()
	perAccount := map[string]events.Money{}
	var accounts []string
	for _, p := range payments {
		if !IsFinal(p.Status) {
			return Settlement{}, fmt.Errorf("clearing: batch %s: payment %s has no final status (%q)", b.ID, p.TxnID, p.Status)
		}
		if !p.Settles() {
			continue
		}
		sum, ok := perAccount[p.ReserveAccount]
		if !ok {
			sum = events.ZeroCNY()
			accounts = append(accounts, p.ReserveAccount)
		}
		var err error
		if perAccount[p.ReserveAccount], err = sum.Add(p.Amount); err != nil {
			return Settlement{}, fmt.Errorf("clearing: batch %s, account %s: %w", b.ID, p.ReserveAccount, err)
		}
		if total, err = total.Add(p.Amount); err != nil {
			return Settlement{}, fmt.Errorf("clearing: batch %s: %w", b.ID, err)
		}
	}
	slices.Sort(accounts)
	s := Settlement{Closed: events.BatchClosed{
		BatchID: b.ID, WindowStart: b.Start, WindowEnd: b.End,
		Payments: len(payments), SettledAmount: total, ClosedAt: closedAt.UTC(),
	}}
	for _, a := range accounts {
		s.Instructions = append(s.Instructions, events.SettlementInstructed{
			BatchID: b.ID, InstructionID: InstructionID(b.ID, a),
			FromBank: PayerBank, ToBank: ReserveBank, ReserveAccount: a, Amount: perAccount[a],
		})
	}
	return s, nil
}

// InstructionID is the business reference of the settlement instruction
// of a batch for a reserve account: the same every time it is computed.
func InstructionID(batchID, reserveAccount string) string {
	return events.DeriveID("clearing.instruction", batchID, reserveAccount)
}
