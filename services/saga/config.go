package saga

import (
	"errors"
	"fmt"
	"time"
)

// Defaults applied by New to a zero Config field.
const (
	DefaultLegTimeout          = 2 * time.Second
	DefaultQueryInterval       = time.Second
	DefaultPayerFinalTimeout   = 10 * time.Second
	DefaultReserveFinalTimeout = 10 * time.Second
	DefaultSigningTimeout      = 10 * time.Minute
	DefaultDueMax              = 10000
	// DefaultReserveSubAccounts must equal the reserve bank's setting.
	DefaultReserveSubAccounts = 8
)

// Topics names the full topic names the sagas write to (e.g.
// topology.Topology.Name(topology.SagaInbox)); their own event topic is the
// runtime's business.
type Topics struct {
	// SagaInbox receives the sagas' own deadline commands (Due).
	SagaInbox string
	// PayerInbox receives payer-bank commands, keyed by payer key.
	PayerInbox string
	// ReserveInbox receives reserve-bank commands, keyed by transaction ID.
	ReserveInbox string
	// Outcomes receives the answers to channel requests, keyed by order ID.
	Outcomes string
	// Rejects receives the requests the sagas refused, verbatim.
	Rejects string
}

// Config configures the sagas. Every timeout is measured on message time
// (processor.Message.Time), never on the wall clock.
type Config struct {
	Topics Topics
	// LegTimeout is how long a step waits for a bank's reply before it
	// asks (status query) or re-sends (signing commands).
	LegTimeout time.Duration
	// QueryInterval is the wait between two status queries of a leg, and
	// between two re-sent reversals.
	QueryInterval time.Duration
	// PayerFinalTimeout, from the start of a payment, bounds the payer leg:
	// still unknown then, the payment ends presumed_failure.
	PayerFinalTimeout time.Duration
	// ReserveFinalTimeout, from the payer's debit, bounds the reserve leg:
	// still unknown then, the payment ends presumed_success.
	ReserveFinalTimeout time.Duration
	// SigningTimeout, from the start of a signing, bounds how long the
	// saga re-sends bank commands that got no answer. The SMS code's own
	// expiry (set by the bank) bounds the wait for the customer.
	SigningTimeout time.Duration
	// DueMax bounds the deadline commands one Due call returns, so a mass
	// timeout (a bank down for minutes) is worked off over several ticks
	// instead of one huge produce call.
	DueMax int
	// ReserveSubAccounts is the number of sub-accounts (分户) each reserve
	// account is split into for refund debits; a refund debits the one its
	// ID hashes to. It must equal the reserve bank's count (app.Config sets
	// both from this field): a debit for a sub-account the bank does not
	// have is parked as poison, and the refund ends presumed_failure.
	ReserveSubAccounts int
}

func (c *Config) setDefaults() {
	if c.LegTimeout == 0 {
		c.LegTimeout = DefaultLegTimeout
	}
	if c.QueryInterval == 0 {
		c.QueryInterval = DefaultQueryInterval
	}
	if c.PayerFinalTimeout == 0 {
		c.PayerFinalTimeout = DefaultPayerFinalTimeout
	}
	if c.ReserveFinalTimeout == 0 {
		c.ReserveFinalTimeout = DefaultReserveFinalTimeout
	}
	if c.SigningTimeout == 0 {
		c.SigningTimeout = DefaultSigningTimeout
	}
	if c.DueMax == 0 {
		c.DueMax = DefaultDueMax
	}
	if c.ReserveSubAccounts == 0 {
		c.ReserveSubAccounts = DefaultReserveSubAccounts
	}
}

// Validate reports a configuration the sagas cannot run with. A final
// timeout not longer than LegTimeout is refused: the leg would be presumed
// at its first deadline without a single status query, and the switch must
// query the bank before it presumes anything.
func (c Config) Validate() error {
	var errs []error
	for _, t := range []struct{ name, topic string }{
		{"SagaInbox", c.Topics.SagaInbox}, {"PayerInbox", c.Topics.PayerInbox},
		{"ReserveInbox", c.Topics.ReserveInbox}, {"Outcomes", c.Topics.Outcomes}, {"Rejects", c.Topics.Rejects},
	} {
		if t.topic == "" {
			errs = append(errs, fmt.Errorf("saga: Topics.%s is empty", t.name))
		}
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{
		{"LegTimeout", c.LegTimeout}, {"QueryInterval", c.QueryInterval},
		{"PayerFinalTimeout", c.PayerFinalTimeout}, {"ReserveFinalTimeout", c.ReserveFinalTimeout},
		{"SigningTimeout", c.SigningTimeout},
	} {
		switch {
		case d.d <= 0:
			errs = append(errs, fmt.Errorf("saga: %s %v must be positive", d.name, d.d))
		case d.name != "LegTimeout" && d.name != "QueryInterval" && d.d <= c.LegTimeout:
			errs = append(errs, fmt.Errorf("saga: %s %v must exceed LegTimeout %v", d.name, d.d, c.LegTimeout))
		}
	}
	if c.ReserveSubAccounts < 1 || c.ReserveSubAccounts > 256 {
		errs = append(errs, fmt.Errorf("saga: ReserveSubAccounts %d must be in 1..256", c.ReserveSubAccounts))
	}
	if c.DueMax < 1 {
		errs = append(errs, fmt.Errorf("saga: DueMax %d must be at least 1", c.DueMax))
	}
	return errors.Join(errs...)
}
