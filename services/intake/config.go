package intake

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/paycore/paycore/services/payerkey"
)

// Defaults and bounds of the input limits.
const (
	// DefaultMaxValueBytes bounds a request record. The largest valid
	// request is well under 2 KiB; the limit leaves room for long names and
	// keys while keeping a hostile record cheap to refuse.
	DefaultMaxValueBytes = 64 << 10
	// DefaultMaxDepth bounds JSON nesting. A valid request nests 3 deep
	// (request, body, money).
	DefaultMaxDepth = 16

	// maxValueBytesCeiling is Kafka's default maximum message size: a
	// larger limit could never be reached.
	maxValueBytesCeiling = 1 << 20
	// minDepth is the nesting of a valid request: a lower limit would
	// refuse every pay and sign_agreement request.
	minDepth = 3
	// maxDepthCeiling keeps MaxDepth well under encoding/json's own limit,
	// so deep input is always refused as too large, never as malformed.
	maxDepthCeiling = 1000
)

// Topics names, in full (prefix included), the topics the intake writes.
type Topics struct {
	SagaInbox  string // saga.start_payment, saga.start_signing, saga.submit_sms_code
	PayerInbox string // payer.terminate_agreement
	Outcomes   string // rejections, for channels, keyed by order ID
	Rejects    string // rejected records verbatim, for operators
	// CutoverInbox and DirectInbox are needed with Config.Routes only:
	// cutover.route_payment and direct.start_refund.
	CutoverInbox string
	DirectInbox  string
}

// Config configures the intake. The zero values of MaxValueBytes and
// MaxDepth select the defaults.
type Config struct {
	Topics Topics
	// Deriver computes payer keys; it must use the payer-bank processor's
	// secret, or commands reach partitions that do not own the account.
	Deriver payerkey.Deriver
	// ReserveAccounts maps a channel ID to its reserve account at the
	// reserve bank. Channels not listed use "RSV-" + channel ID.
	ReserveAccounts map[string]string
	// Routes, when set, turns cutover routing on: pay requests go to the
	// cutover router with the decision of the rules in force, and
	// legacy_refund requests are accepted (see RouteSource).
	Routes RouteSource
	// MaxValueBytes bounds the size of a request record.
	MaxValueBytes int
	// MaxDepth bounds the nesting of JSON objects and arrays in a request.
	MaxDepth int
}

func (c *Config) setDefaults() {
	if c.MaxValueBytes == 0 {
		c.MaxValueBytes = DefaultMaxValueBytes
	}
	if c.MaxDepth == 0 {
		c.MaxDepth = DefaultMaxDepth
	}
}

// Validate reports a configuration the intake cannot run with.
func (c Config) Validate() error {
	topics := map[string]string{
		"SagaInbox":  c.Topics.SagaInbox,
		"PayerInbox": c.Topics.PayerInbox,
		"Outcomes":   c.Topics.Outcomes,
		"Rejects":    c.Topics.Rejects,
	}
	seen := map[string]string{}
	for field, name := range topics {
		if name == "" {
			return fmt.Errorf("intake: Topics.%s is empty", field)
		}
		if other, dup := seen[name]; dup {
			return fmt.Errorf("intake: Topics.%s and Topics.%s are both %q", other, field, name)
		}
		seen[name] = field
	}
	// A Deriver from payerkey.NewDeriver always holds a secret; the zero
	// value would hash accounts with an empty key and misroute them all.
	if reflect.ValueOf(c.Deriver).IsZero() {
		return errors.New("intake: Deriver is not set (use payerkey.NewDeriver)")
	}
	for channel, account := range c.ReserveAccounts {
		if !channelIDRE.MatchString(channel) {
			return fmt.Errorf("intake: ReserveAccounts: %q is not a valid channel ID (%s)", channel, ChannelIDPattern)
		}
		if account == "" {
			return fmt.Errorf("intake: ReserveAccounts: channel %s has an empty reserve account", channel)
		}
	}
	if err := c.validateCutover(); err != nil {
		return err
	}
	if c.MaxValueBytes < 1 || c.MaxValueBytes > maxValueBytesCeiling {
		return fmt.Errorf("intake: MaxValueBytes %d outside 1..%d", c.MaxValueBytes, maxValueBytesCeiling)
	}
	if c.MaxDepth < minDepth || c.MaxDepth > maxDepthCeiling {
		return fmt.Errorf("intake: MaxDepth %d outside %d..%d", c.MaxDepth, minDepth, maxDepthCeiling)
	}
	return nil
}

// ReserveAccountFor returns the reserve account payments of channel are
// credited to.
func (c Config) ReserveAccountFor(channel string) string {
	if account, ok := c.ReserveAccounts[channel]; ok {
		return account
	}
	return "RSV-" + channel
}
