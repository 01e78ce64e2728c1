package directpath

import (
	"errors"
	"fmt"
	"time"
)

// Defaults applied by New to zero Config durations.
const (
	DefaultLegTimeout    = 2 * time.Second
	DefaultQueryInterval = 1 * time.Second
	DefaultFinalTimeout  = 10 * time.Second
)

// Topics names, in full, the topics the direct path writes to.
type Topics struct {
	DirectInbox string // its own inbox: deadlines and ledger commands
	PayerInbox  string // payer.direct_debit and the other direct-link commands
	Outcomes    string // answers to channels, keyed by order ID
	Rejects     string // requests refused for a reused idempotency key, verbatim
}

// Config configures the direct path.
type Config struct {
	Topics Topics
	// LegTimeout is how long a debit or credit waits for the bank before
	// the first status query.
	LegTimeout time.Duration
	// QueryInterval is the wait between status queries.
	QueryInterval time.Duration
	// FinalTimeout bounds a leg from its start: past it, a leg still
	// unknown is presumed (debit: failure, credit: success).
	FinalTimeout time.Duration
}

func (c *Config) setDefaults() {
	if c.LegTimeout == 0 {
		c.LegTimeout = DefaultLegTimeout
	}
	if c.QueryInterval == 0 {
		c.QueryInterval = DefaultQueryInterval
	}
	if c.FinalTimeout == 0 {
		c.FinalTimeout = DefaultFinalTimeout
	}
}

// Validate reports a configuration the direct path cannot run with.
func (c Config) Validate() error {
	var errs []error
	topics := []struct{ name, value string }{
		{"DirectInbox", c.Topics.DirectInbox}, {"PayerInbox", c.Topics.PayerInbox},
		{"Outcomes", c.Topics.Outcomes}, {"Rejects", c.Topics.Rejects},
	}
	seen := map[string]string{}
	for _, t := range topics {
		if t.value == "" {
			errs = append(errs, fmt.Errorf("directpath: Topics.%s is empty", t.name))
			continue
		}
		if other, dup := seen[t.value]; dup {
			errs = append(errs, fmt.Errorf("directpath: Topics.%s and Topics.%s are both %q", other, t.name, t.value))
		}
		seen[t.value] = t.name
	}
	for _, d := range []struct {
		name  string
		value time.Duration
	}{{"LegTimeout", c.LegTimeout}, {"QueryInterval", c.QueryInterval}, {"FinalTimeout", c.FinalTimeout}} {
		if d.value <= 0 {
			errs = append(errs, fmt.Errorf("directpath: %s %v must be positive", d.name, d.value))
		}
	}
	if c.FinalTimeout < c.LegTimeout {
		errs = append(errs, fmt.Errorf("directpath: FinalTimeout %v is shorter than LegTimeout %v", c.FinalTimeout, c.LegTimeout))
	}
	return errors.Join(errs...)
}
