package intake

import (
	"regexp"
	"strings"
	"testing"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/payerkey"
)

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string // substring of the error; "" for valid
	}{
		{name: "valid", change: func(*Config) {}},
		{name: "missing topic", change: func(c *Config) { c.Topics.Rejects = "" }, want: "Topics.Rejects"},
		{name: "same topic twice", change: func(c *Config) { c.Topics.Rejects = c.Topics.Outcomes }, want: "both"},
		{name: "zero deriver", change: func(c *Config) { c.Deriver = payerkey.Deriver{} }, want: "Deriver"},
		{name: "bad channel in reserve accounts", change: func(c *Config) { c.ReserveAccounts = map[string]string{"a b": "RSV"} }, want: "channel ID"},
		{name: "empty reserve account", change: func(c *Config) { c.ReserveAccounts = map[string]string{"alipay": ""} }, want: "empty reserve account"},
		{name: "negative size limit", change: func(c *Config) { c.MaxValueBytes = -1 }, want: "MaxValueBytes"},
		{name: "size limit above Kafka's", change: func(c *Config) { c.MaxValueBytes = 2 << 20 }, want: "MaxValueBytes"},
		{name: "depth below a valid request", change: func(c *Config) { c.MaxDepth = 2 }, want: "MaxDepth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			tt.change(&cfg)
			_, err := NewFactory(cfg, events.Catalog())
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestNewFactoryDefaultsAndRegistry(t *testing.T) {
	if _, err := NewFactory(testConfig(t), events.NewRegistry()); err == nil {
		t.Fatal("no error for a registry without the command types")
	}
	if _, err := NewFactory(testConfig(t), nil); err == nil {
		t.Fatal("no error for a nil registry")
	}
	factory, err := NewFactory(testConfig(t), events.Catalog())
	if err != nil {
		t.Fatal(err)
	}
	h := factory(0).(*Handler)
	if h.cfg.MaxValueBytes != DefaultMaxValueBytes || h.cfg.MaxDepth != DefaultMaxDepth {
		t.Fatalf("defaults not applied: %+v", h.cfg)
	}
	if h.Due(testTime) != nil {
		t.Fatal("Due returned commands")
	}
}

func TestReserveAccountsAreCopied(t *testing.T) {
	cfg := testConfig(t)
	h, err := newHandler(cfg, events.Catalog())
	if err != nil {
		t.Fatal(err)
	}
	cfg.ReserveAccounts[testChannel] = "RSV-CHANGED"
	if got := h.cfg.ReserveAccountFor(testChannel); got != testReserve {
		t.Fatalf("reserve account changed under the handler: %s", got)
	}
}
