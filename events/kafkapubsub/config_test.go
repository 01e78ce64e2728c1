package kafkapubsub

import (
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

func TestPublisherConfigDefaults(t *testing.T) {
	cfg := PublisherConfig{Brokers: []string{"b:9092"}}
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.WriteTimeout != defaultWriteTimeout || cfg.BatchTimeout != defaultBatchTimeout || cfg.MaxWriteAttempts != defaultMaxWriteAttempts {
		t.Errorf("defaults not applied: %+v", cfg)
	}

	explicit := PublisherConfig{Brokers: []string{"b:9092"}, WriteTimeout: 3 * time.Second}
	explicit.setDefaults()
	if explicit.WriteTimeout != 3*time.Second {
		t.Errorf("setDefaults overwrote WriteTimeout: %v", explicit.WriteTimeout)
	}
}

func TestPublisherConfigValidateListsEveryProblem(t *testing.T) {
	cfg := PublisherConfig{WriteTimeout: -time.Second, BatchMaxMessages: -1}
	cfg.setDefaults()
	err := cfg.Validate()
	if err == nil {
		t.Fatal("Validate accepted an invalid config")
	}
	for _, want := range []string{"Brokers is empty", "WriteTimeout must be positive", "BatchMaxMessages must be positive"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := NewPublisher(PublisherConfig{}, nil); err == nil {
		t.Error("NewPublisher accepted a config without brokers")
	}
}

func TestSubscriberConfigDefaults(t *testing.T) {
	cfg := SubscriberConfig{Brokers: []string{"b:9092"}, ConsumerGroup: "g"}
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.StartOffset != kafka.FirstOffset {
		t.Errorf("StartOffset = %d, want kafka.FirstOffset", cfg.StartOffset)
	}
	if cfg.MaxRedeliveries != defaultMaxRedeliveries || cfg.NackResendSleep != defaultNackResendSleep {
		t.Errorf("defaults not applied: %+v", cfg)
	}
}

func TestSubscriberConfigValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg  SubscriberConfig
		want string
	}{
		"no group": {
			SubscriberConfig{Brokers: []string{"b:9092"}},
			"ConsumerGroup is empty",
		},
		"heartbeat not below session": {
			SubscriberConfig{Brokers: []string{"b:9092"}, ConsumerGroup: "g", HeartbeatInterval: 10 * time.Second, SessionTimeout: 10 * time.Second},
			"HeartbeatInterval 10s must be below SessionTimeout 10s",
		},
		"bad start offset": {
			SubscriberConfig{Brokers: []string{"b:9092"}, ConsumerGroup: "g", StartOffset: 42},
			"StartOffset 42",
		},
		"negative redeliveries": {
			SubscriberConfig{Brokers: []string{"b:9092"}, ConsumerGroup: "g", MaxRedeliveries: -1},
			"MaxRedeliveries must be positive",
		},
		"backoff inverted": {
			SubscriberConfig{Brokers: []string{"b:9092"}, ConsumerGroup: "g", ReadBackoffMin: time.Second, ReadBackoffMax: time.Millisecond},
			"ReadBackoffMax 1ms is below ReadBackoffMin 1s",
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewSubscriber(tc.cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewSubscriber error = %v, want mention of %q", err, tc.want)
			}
		})
	}
}

func TestBackoffDoublesUpToMax(t *testing.T) {
	got := []time.Duration{}
	for attempt := 1; attempt <= 6; attempt++ {
		got = append(got, backoff(attempt, 100*time.Millisecond, time.Second))
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("backoff = %v, want %v", got, want)
		}
	}
	if d := backoff(1000, 100*time.Millisecond, time.Second); d != time.Second {
		t.Errorf("backoff(1000) = %v, want the maximum", d)
	}
}
