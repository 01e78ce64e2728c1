package kafkaconn

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
)

// dialTimeout is kafka.DefaultDialer's: a Dialer from a Connector behaves
// like the default one apart from security.
const dialTimeout = 10 * time.Second

// Connector builds kafka-go clients that authenticate and encrypt as its
// Security says. It is immutable and safe for concurrent use. A nil
// *Connector is valid: plaintext, no authentication, kafka-go's defaults.
type Connector struct {
	sec       Security
	mechanism sasl.Mechanism // nil without SASL
	tls       *tls.Config    // nil without TLS
	transport kafka.RoundTripper
}

// New validates s, reads its password file and certificates, and returns
// the Connector. Errors name the setting or file at fault, never the
// password or a file's content.
func New(s Security) (*Connector, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	c := &Connector{sec: s}
	if s.Mechanism != None {
		pass := s.Password
		if s.PasswordFile != "" {
			b, err := os.ReadFile(s.PasswordFile)
			if err != nil {
				return nil, fmt.Errorf("kafka security: password file: %w", err)
			}
			// Editors and `echo` end files with a newline that is not part
			// of the password; other whitespace may be.
			b = bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r"))
			if len(b) == 0 {
				return nil, fmt.Errorf("kafka security: password file %s is empty", s.PasswordFile)
			}
			pass = Secret(b)
		}
		if s.Mechanism == Plain {
			c.mechanism = &plain{user: s.Username, pass: pass}
		} else {
			c.mechanism = newScram(s.Mechanism, s.Username, pass)
		}
	}
	if s.TLS.Enabled {
		cfg, err := tlsConfig(s.TLS)
		if err != nil {
			return nil, fmt.Errorf("kafka security: %w", err)
		}
		c.tls = cfg
	}
	c.transport = kafka.DefaultTransport
	if c.mechanism != nil || c.tls != nil {
		c.transport = &explainingTransport{t: c.SecureTransport(&kafka.Transport{}), c: c}
	}
	return c, nil
}

func tlsConfig(t TLS) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("TLS CA file: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLS CA file %s holds no PEM certificate", t.CAFile)
		}
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("TLS client certificate %s with key %s: %w", t.CertFile, t.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// Security returns the settings c was built from (the password redacts
// itself when printed).
func (c *Connector) Security() Security {
	if c == nil {
		return Security{}
	}
	return c.sec
}

// String summarizes the settings; never the password.
func (c *Connector) String() string { return c.Security().String() }

// Format prints String for every verb.
func (c *Connector) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue logs String.
func (c *Connector) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Dialer returns a new Dialer with kafka.DefaultDialer's settings and c's
// security, for kafka.ReaderConfig, kafka.ConsumerGroupConfig and direct
// connections. The caller may adjust it (Timeout, ClientID) before use.
func (c *Connector) Dialer() *kafka.Dialer {
	return c.SecureDialer(&kafka.Dialer{Timeout: dialTimeout, DualStack: true})
}

// SecureDialer sets c's SASL mechanism and TLS on d and returns d.
func (c *Connector) SecureDialer(d *kafka.Dialer) *kafka.Dialer {
	if c != nil {
		d.SASLMechanism, d.TLS = c.mechanism, c.tls
	}
	return d
}

// Transport returns the RoundTripper for kafka.Writer and kafka.Client:
// kafka.DefaultTransport without security, otherwise one Transport shared
// by everything built from c (one connection pool per broker, as kafka-go
// shares its default), whose authentication and certificate errors say
// what to check (see Explain).
func (c *Connector) Transport() kafka.RoundTripper {
	if c == nil {
		return kafka.DefaultTransport
	}
	return c.transport
}

// SecureTransport sets c's SASL mechanism and TLS on t and returns t, for
// code that owns a Transport of its own (its timeouts, its lifetime).
func (c *Connector) SecureTransport(t *kafka.Transport) *kafka.Transport {
	if c != nil {
		t.SASL, t.TLS = c.mechanism, c.tls
	}
	return t
}

// DialContext connects to one broker with c's Dialer (timeout bounded by
// ctx and the Dialer's 10s) and explains a refusal (see Explain).
func (c *Connector) DialContext(ctx context.Context, broker string) (*kafka.Conn, error) {
	conn, err := c.Dialer().DialContext(ctx, "tcp", broker)
	return conn, c.Explain(broker, err)
}

// DialLeader connects to the leader of topic/partition through broker,
// like kafka.DialLeader, with c's security.
func (c *Connector) DialLeader(ctx context.Context, broker, topic string, partition int) (*kafka.Conn, error) {
	conn, err := c.Dialer().DialLeader(ctx, "tcp", broker, topic, partition)
	return conn, c.Explain(broker, err)
}

// explainingTransport is a Transport whose errors go through Explain.
type explainingTransport struct {
	t *kafka.Transport
	c *Connector
}

func (e *explainingTransport) RoundTrip(ctx context.Context, addr net.Addr, req kafka.Request) (kafka.Response, error) {
	res, err := e.t.RoundTrip(ctx, addr, req)
	return res, e.c.Explain(addr.String(), err)
}
