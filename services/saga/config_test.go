package saga

import (
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
)

func TestConfig(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Config)
		want   string // substring of the error; "" for valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"missing topic", func(c *Config) { c.Topics.Rejects = "" }, "Topics.Rejects is empty"},
		{"negative timeout", func(c *Config) { c.QueryInterval = -time.Second }, "QueryInterval -1s must be positive"},
		{"final not after the leg timeout", func(c *Config) { c.PayerFinalTimeout = 2 * time.Second },
			"PayerFinalTimeout 2s must exceed LegTimeout 2s"},
		{"signing shorter than a leg", func(c *Config) { c.LegTimeout = time.Hour }, "SigningTimeout 10m0s must exceed LegTimeout 1h0m0s"},
		{"negative due bound", func(c *Config) { c.DueMax = -1 }, "DueMax -1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Topics: testTopics}
			tc.mutate(&cfg)
			_, err := NewFactory(cfg, events.Catalog())
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := New(Config{Topics: testTopics}, nil); err == nil {
		t.Error("New accepted a nil registry")
	}
}
