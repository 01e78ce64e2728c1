package payerbank

import (
	"fmt"

	"github.com/paycore/paycore/events"
)

// openAccount handles payer.open_account, the bank-side seeding of an
// account: the only way money enters the model. No one waits for an
// answer, so there is no reply. A repeat of the same command changes
// nothing; one that contradicts the open account is a seeding bug and is
// parked as poison rather than silently ignored.
func (d *decision) openAccount(c events.OpenAccount) error {
	if a, ok := d.st.accounts[c.PayerKey]; ok {
		if a.sameOpening(c) {
			return nil
		}
		return fmt.Errorf("payerbank: account %s is already open with other details", c.PayerKey)
	}
	if !c.OpeningBalance.Currency().IsValid() || c.OpeningBalance.IsNegative() {
		return fmt.Errorf("payerbank: account %s: opening balance must be zero or more", c.PayerKey)
	}
	_, err := d.record(c.PayerKey, openingOf(c))
	return err
}

// openingOf is the payer.account_opened that records c. OpenAccount
// identifies the holder by resident identity card, the only document the
// bank's back office seeds accounts with.
func openingOf(c events.OpenAccount) events.AccountOpened {
	return events.AccountOpened{
		PayerKey: c.PayerKey,
		Account:  c.Account,
		Holder: events.AccountHolder{
			Name:     c.HolderName,
			IDType:   events.IDTypeResidentID,
			IDNumber: c.IDNumber,
			Phone:    c.Phone,
		},
		OpeningBalance: c.OpeningBalance,
	}
}
