package kafkatest_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events/kafkapubsub/internal/kafkaadmin"
	"github.com/paycore/paycore/events/kafkapubsub/kafkatest"
)

func TestUniqueTopicIsLegalAndUnique(t *testing.T) {
	legal := regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)
	a, b := kafkatest.UniqueTopic(t, "pfx"), kafkatest.UniqueTopic(t, "pfx")
	if a == b {
		t.Fatalf("two calls returned %q", a)
	}
	for _, name := range []string{a, b} {
		if !legal.MatchString(name) {
			t.Errorf("%q is not a legal topic name", name)
		}
	}
	if want := regexp.MustCompile(`^pfx-TestUniqueTopicIsLegalAndUnique-[0-9a-f]{8}$`); !want.MatchString(a) {
		t.Errorf("UniqueTopic = %q, want pfx-<test name>-<8 hex>", a)
	}
}

func TestCreateTopicIsReadyAndCleanedUp(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	name := kafkatest.UniqueTopic(t, "kafkatest")

	t.Run("create", func(t *testing.T) {
		kafkatest.CreateTopic(t, brokers, name, 3)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		parts, err := kafkaadmin.Partitions(ctx, brokers, nil, time.Second, name)
		if err != nil {
			t.Fatal(err)
		}
		if len(parts) != 3 || !kafkaadmin.Ready(parts) {
			t.Fatalf("partitions = %+v, want 3 with leaders", parts)
		}
	})

	// The subtest's cleanup deleted the topic; deletion is asynchronous.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, err := kafkaadmin.Partitions(ctx, brokers, nil, time.Second, name)
		if errors.Is(err, kafkaadmin.ErrTopicMissing) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("topic %q still present after cleanup (last: %v)", name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fatalRecorder captures Fatalf instead of failing the enclosing test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestBrokersFailsFastWithHowToStart(t *testing.T) {
	t.Setenv(kafkatest.EnvBrokers, "127.0.0.1:1")
	rec := &fatalRecorder{TB: t}
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		kafkatest.Brokers(rec)
		t.Error("Brokers returned for an unreachable broker")
	}()
	<-done
	if took := time.Since(start); took > 6*time.Second {
		t.Errorf("Brokers took %v, want at most the 5 s reach timeout", took)
	}
	want := "Kafka not reachable at 127.0.0.1:1: start it with deploy/stack.sh up (make test does this)"
	t.Log(rec.msg)
	if !strings.HasPrefix(rec.msg, want) {
		t.Errorf("failure message = %q, want prefix %q", rec.msg, want)
	}
}
