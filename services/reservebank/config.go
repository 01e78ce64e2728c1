package reservebank

import (
	"errors"
	"fmt"

	"github.com/paycore/paycore/services/banklink"
)

// Defaults applied by NewFactory to a zero Config field.
const (
	// DefaultSubAccounts is the number of sub-accounts (分户) a reserve
	// account is split into. The saga must be configured with the same
	// number (it picks the sub-account a refund debits).
	DefaultSubAccounts = 8
	// DefaultMaxBorrowRounds bounds the borrow rounds one held debit may
	// start before it is refused: a round is repeated only when it met
	// another round of the same account (see the package doc).
	DefaultMaxBorrowRounds = 3
)

// Bounds of the sub-account settings.
const (
	MaxSubAccounts     = 256
	MaxBorrowRoundsMax = 16
)

// Topics names, in full (prefix included), the topics the bank writes to
// besides its own event log.
type Topics struct {
	SagaInbox string // replies: credit and debit decisions, status reports
	// ReserveInbox is the bank's own inbox: the shares of fundings and
	// summarized postings, and the borrow rounds, travel on it to the
	// sub-accounts they are keyed by.
	ReserveInbox string
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
	// SubAccounts is the number N of sub-accounts of every reserve account
	// (1..MaxSubAccounts; 0 means DefaultSubAccounts). It must equal the
	// saga's and stay fixed while any reserve account holds money: the
	// shares and the borrow ring are laid out over N sub-accounts, and a
	// sub-account at an index ≥ N would be out of every ring.
	SubAccounts int
	// MaxBorrowRounds bounds the borrow rounds per held debit
	// (1..MaxBorrowRoundsMax; 0 means DefaultMaxBorrowRounds).
	MaxBorrowRounds int
}

func (c *Config) setDefaults() {
	if c.SubAccounts == 0 {
		c.SubAccounts = DefaultSubAccounts
	}
	if c.MaxBorrowRounds == 0 {
		c.MaxBorrowRounds = DefaultMaxBorrowRounds
	}
}

// Validate reports a configuration the bank cannot run with. NewFactory
// applies the defaults first.
func (c Config) Validate() error {
	var errs []error
	if c.Topics.SagaInbox == "" {
		errs = append(errs, errors.New("reservebank: Topics.SagaInbox is empty"))
	}
	if c.Topics.ReserveInbox == "" {
		errs = append(errs, errors.New("reservebank: Topics.ReserveInbox is empty"))
	}
	if err := c.Link.Config().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("reservebank: %w", err))
	}
	for i, account := range c.ClosedAccounts {
		if account == "" {
			errs = append(errs, fmt.Errorf("reservebank: ClosedAccounts[%d] is empty", i))
		}
	}
	if c.SubAccounts < 1 || c.SubAccounts > MaxSubAccounts {
		errs = append(errs, fmt.Errorf("reservebank: SubAccounts %d outside 1..%d", c.SubAccounts, MaxSubAccounts))
	}
	if c.MaxBorrowRounds < 1 || c.MaxBorrowRounds > MaxBorrowRoundsMax {
		errs = append(errs, fmt.Errorf("reservebank: MaxBorrowRounds %d outside 1..%d", c.MaxBorrowRounds, MaxBorrowRoundsMax))
	}
	return errors.Join(errs...)
}
