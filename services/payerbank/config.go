package payerbank

import (
	"errors"
	"fmt"
	"time"

	"github.com/paycore/paycore/services/banklink"
)

// Defaults applied by New to a zero Config field.
const (
	DefaultSMSCodeTTL     = 5 * time.Minute
	DefaultMaxSMSAttempts = 3
)

// Topics names the full topic names the payer bank writes to besides its
// own event log (e.g. topology.Topology.Name(topology.SagaInbox)).
type Topics struct {
	// SagaInbox receives the replies to saga commands.
	SagaInbox string
	// Outcomes receives the answers to terminate requests, keyed by order.
	Outcomes string
	// LegacyReplies receives the answers to imports of stock agreements,
	// keyed by legacy agreement number. Optional: without it the bank
	// parks every payer.import_agreement as poison.
	LegacyReplies string
	// DirectInbox receives the answers to the legacy direct link's
	// commands (services/directpath), keyed by TxnID. Optional: without it
	// the bank parks every direct-link command as poison.
	DirectInbox string
}

// Config configures the payer bank.
type Config struct {
	Topics Topics
	// Link injects bank-link faults; the zero Link injects none.
	Link banklink.Link
	// SMSSecret keys the SMS codes (see SMSCode). Required.
	SMSSecret string
	// SMSCodeTTL is how long a code is valid after the identity check.
	SMSCodeTTL time.Duration
	// MaxSMSAttempts is the number of wrong codes that fails a signing.
	MaxSMSAttempts int
}

func (c *Config) setDefaults() {
	if c.SMSCodeTTL == 0 {
		c.SMSCodeTTL = DefaultSMSCodeTTL
	}
	if c.MaxSMSAttempts == 0 {
		c.MaxSMSAttempts = DefaultMaxSMSAttempts
	}
}

// Validate reports a configuration the payer bank cannot run with.
func (c Config) Validate() error {
	var errs []error
	if c.Topics.SagaInbox == "" {
		errs = append(errs, errors.New("payerbank: Topics.SagaInbox is empty"))
	}
	if c.Topics.Outcomes == "" {
		errs = append(errs, errors.New("payerbank: Topics.Outcomes is empty"))
	}
	if c.SMSSecret == "" {
		errs = append(errs, errors.New("payerbank: SMSSecret is empty"))
	}
	if c.SMSCodeTTL <= 0 {
		errs = append(errs, fmt.Errorf("payerbank: SMSCodeTTL %v must be positive", c.SMSCodeTTL))
	}
	if c.MaxSMSAttempts < 1 {
		errs = append(errs, fmt.Errorf("payerbank: MaxSMSAttempts %d must be at least 1", c.MaxSMSAttempts))
	}
	if err := c.Link.Config().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("payerbank: %w", err))
	}
	return errors.Join(errs...)
}
