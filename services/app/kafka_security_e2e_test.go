package app_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/paycore/paycore/deploy/stacktest"
	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/events/kafkapubsub"
	"github.com/paycore/paycore/events/kafkapubsub/kafkatest"
	"github.com/paycore/paycore/services/app"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/topology"
)

// The broker's only user; the passwords are distinctive so that finding
// one in an error or a log line is a leak.
const (
	kafkaUser     = "paycore"
	kafkaPassword = "Right-pw.4-kafka"
	wrongPassword = "Wrong-pw.4-kafka"
)

// TestKafkaSecurity runs paycore against a private broker whose client
// listeners require SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), one of
// them over TLS with a certificate generated for the test: a payment goes
// through every processor over SCRAM-SHA-512 and TLS, kafkapubsub round
// trips over PLAIN, and wrong credentials, plaintext clients and an
// untrusted certificate are refused with errors that say why.
func TestKafkaSecurity(t *testing.T) {
	began := time.Now()
	k := stacktest.Kafka(t, stacktest.WithSASL(stacktest.SASL{Users: map[string]string{kafkaUser: kafkaPassword}, TLS: true}))
	t.Logf("private SASL broker up in %v (PLAINTEXT %s, SASL_PLAINTEXT %s, SASL_SSL %s)",
		time.Since(began).Round(time.Millisecond), k.Addr, k.SASLAddr, k.SASLTLSAddr)
	passwordFile := filepath.Join(t.TempDir(), "kafka-password")
	if err := os.WriteFile(passwordFile, []byte(kafkaPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	scramTLS := connector(t, kafkaconn.Security{Mechanism: kafkaconn.ScramSHA512, Username: kafkaUser, PasswordFile: passwordFile,
		TLS: kafkaconn.TLS{Enabled: true, CAFile: k.CAFile}})

	t.Run("a payment through every processor over SCRAM-SHA-512 and TLS", func(t *testing.T) {
		var logs syncBuffer
		cfg := newConfig(t, 2)
		cfg.Kafka.Brokers, cfg.Kafka.Connector = []string{k.SASLTLSAddr}, scramTLS
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		start := time.Now()
		h := startHarness(t, cfg)
		acc := h.openAccount("6222020200000000077", "1000.00")
		agreement := h.sign(chanID, acc, "2000.00", "5000.00")
		if out := h.pay(chanID, agreement, "100.00"); out.Status != events.StatusSuccess {
			t.Fatalf("payment over SASL_SSL: %+v, want success", out)
		}
		h.audit()
		h.shutdown()
		t.Logf("account, signing, payment and audit over SASL_SSL in %v", time.Since(start).Round(time.Millisecond))
		if strings.Contains(logs.String(), kafkaPassword) {
			t.Fatal("the processors logged the Kafka password")
		}
	})

	t.Run("kafkapubsub round trip over PLAIN on SASL_PLAINTEXT", func(t *testing.T) {
		plain := connector(t, kafkaconn.Security{Mechanism: kafkaconn.Plain, Username: kafkaUser, Password: kafkaPassword})
		brokers := []string{k.SASLAddr}
		top, err := topology.New(topology.Config{Prefix: kafkatest.UniqueTopic(t, "sasl") + ".", Partitions: 1})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := topology.Ensure(ctx, brokers, top, topology.EnsureOptions{Create: true, Connector: plain}); err != nil {
			t.Fatal(err)
		}
		topic := top.Name(topology.Requests)
		pub, err := kafkapubsub.NewPublisher(kafkapubsub.PublisherConfig{Brokers: brokers, Connector: plain}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer pub.Close()
		sub, err := kafkapubsub.NewSubscriber(kafkapubsub.SubscriberConfig{
			Brokers: brokers, Connector: plain, ConsumerGroup: top.Prefix + "sasl-test",
			HeartbeatInterval: 200 * time.Millisecond, SessionTimeout: 6 * time.Second, JoinGroupBackoff: 100 * time.Millisecond,
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		msgs, err := sub.Subscribe(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		sent := message.NewMessage(watermill.NewUUID(), []byte(`{"over":"SASL PLAIN"}`))
		if err := pub.Publish(topic, sent); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-msgs:
			got.Ack()
			if got.UUID != sent.UUID || string(got.Payload) != string(sent.Payload) {
				t.Fatalf("received %s %s, want %s %s", got.UUID, got.Payload, sent.UUID, sent.Payload)
			}
		case <-ctx.Done():
			t.Fatal("the published message did not come back over SASL")
		}
	})

	t.Run("a wrong password fails fast, naming the mechanism and user only", func(t *testing.T) {
		for _, m := range []kafkaconn.Mechanism{kafkaconn.Plain, kafkaconn.ScramSHA256, kafkaconn.ScramSHA512} {
			wrong := connector(t, kafkaconn.Security{Mechanism: m, Username: kafkaUser, Password: wrongPassword})
			cfg := newConfig(t, 1)
			cfg.Kafka.Brokers, cfg.Kafka.Connector = []string{k.SASLAddr}, wrong
			start := time.Now()
			// What `paycore run` does first: the start-up topology check.
			err := app.Run(context.Background(), cfg, true)
			took := time.Since(start)
			var authErr *kafkaconn.AuthError
			if !errors.As(err, &authErr) || authErr.Mechanism != m || authErr.Username != kafkaUser {
				t.Fatalf("%s: err = %v, want a *kafkaconn.AuthError for %s and %q", m, err, m, kafkaUser)
			}
			msg := err.Error()
			if !strings.Contains(msg, "SASL "+string(m)) || !strings.Contains(msg, `user "`+kafkaUser+`"`) {
				t.Errorf("%s: %q does not name the mechanism and the user", m, msg)
			}
			if strings.Contains(msg, wrongPassword) || strings.Contains(msg, kafkaPassword) {
				t.Errorf("%s: the error reveals a password: %q", m, msg)
			}
			if took > 5*time.Second {
				t.Errorf("%s: refused after %v; a wrong password must fail within seconds", m, took)
			}
			t.Logf("%s refused in %v: %s", m, took.Round(time.Millisecond), msg)
		}
	})

	t.Run("no plaintext client gets through a SASL listener", func(t *testing.T) {
		top, err := topology.New(topology.Config{Prefix: kafkatest.UniqueTopic(t, "plain") + ".", Partitions: 1})
		if err != nil {
			t.Fatal(err)
		}
		scramNoTLS := connector(t, kafkaconn.Security{Mechanism: kafkaconn.ScramSHA512, Username: kafkaUser, Password: kafkaPassword})
		for _, tc := range []struct {
			name string
			addr string
			conn *kafkaconn.Connector
		}{
			{"no SASL, no TLS on SASL_PLAINTEXT", k.SASLAddr, nil},
			{"no SASL, no TLS on SASL_SSL", k.SASLTLSAddr, nil},
			{"SASL without TLS on SASL_SSL", k.SASLTLSAddr, scramNoTLS},
		} {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := topology.Ensure(ctx, []string{tc.addr}, top, topology.EnsureOptions{Create: true, Timeout: 3 * time.Second, Connector: tc.conn})
			if err == nil {
				t.Errorf("%s: topology.Ensure succeeded", tc.name)
			}
			// Nor does a bare produce: the listener answers nothing but
			// the handshake.
			client := channel.NewClient([]string{tc.addr}, tc.conn, top.Name(topology.Requests))
			sendErr := client.SendRaw(ctx, "k", []byte("plaintext"))
			client.Close()
			cancel()
			if sendErr == nil {
				t.Errorf("%s: a produce succeeded", tc.name)
			}
			t.Logf("%s: refused (%v; produce: %v)", tc.name, err, sendErr)
		}
	})

	t.Run("TLS verifies the broker certificate", func(t *testing.T) {
		top, err := topology.New(topology.Config{Prefix: kafkatest.UniqueTopic(t, "tls") + ".", Partitions: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			tls  kafkaconn.TLS
			want string
		}{
			{"signed by another CA", kafkaconn.TLS{Enabled: true, CAFile: stacktest.UnrelatedCA(t)}, "certificate signed by unknown authority"},
			{"system roots", kafkaconn.TLS{Enabled: true}, "certificate signed by unknown authority"},
			{"another server name", kafkaconn.TLS{Enabled: true, CAFile: k.CAFile, ServerName: "kafka.example.org"}, "kafka.example.org"},
		} {
			conn := connector(t, kafkaconn.Security{Mechanism: kafkaconn.ScramSHA512, Username: kafkaUser, Password: kafkaPassword, TLS: tc.tls})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := topology.Ensure(ctx, []string{k.SASLTLSAddr}, top, topology.EnsureOptions{Create: true, Timeout: 5 * time.Second, Connector: conn})
			cancel()
			var tlsErr *kafkaconn.TLSError
			if !errors.As(err, &tlsErr) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%s: err = %v, want a *kafkaconn.TLSError mentioning %q", tc.name, err, tc.want)
			}
		}
	})

	t.Logf("broker start and all checks took %v", time.Since(began).Round(time.Millisecond))
}

func connector(t *testing.T, sec kafkaconn.Security) *kafkaconn.Connector {
	t.Helper()
	c, err := kafkaconn.New(sec)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
