package reservebank

import (
	"errors"
	"fmt"

	"github.com/paycore/paycore/services/banklink"
)

// Topics names, in full (prefix included), the topics the bank writes to
// besides its own event log.
type Topics struct {
	SagaInbox string // replies: credit decisions and status reports
}

// Config configures the reserve bank.
type Config struct {
	Topics Topics
	// Link injects the faults of the link to the bank; the zero Link
	// injects none.
	Link banklink.Link
	// ClosedAccounts are reserve accounts that refuse credits with
	// reserve_account_closed.
	ClosedAccounts []string
}

// Validate reports a configuration the bank cannot run with.
func (c Config) Validate() error {
	if c.Topics.SagaInbox == "" {
		return errors.New("reservebank: Topics.SagaInbox is empty")
	}
	if err := c.Link.Config().Validate(); err != nil {
		return fmt.Errorf("reservebank: %w", err)
	}
	for i, account := range c.ClosedAccounts {
		if account == "" {
			return fmt.Errorf("reservebank: ClosedAccounts[%d] is empty", i)
		}
	}
	return nil
}
