// Package kafkaconn is how paycore authenticates to Kafka and encrypts its
// connections: an operator's Security settings (SASL PLAIN or SCRAM, TLS)
// become a Connector, which hands out kafka-go Dialers (readers, consumer
// groups, direct connections) and Transports (writers, admin clients) that
// all connect the same way. A nil *Connector connects in plaintext without
// authentication, exactly as kafka-go's defaults do.
//
// The password never leaves this package in printable form: Secret redacts
// itself in every fmt verb, JSON and slog, Security and Connector print a
// summary without it, and no error built here contains it.
package kafkaconn

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Mechanism is a SASL mechanism the broker's listener enables
// (sasl.enabled.mechanisms). The zero value is None.
type Mechanism string

// The supported mechanisms. SCRAM is preferred: the password never crosses
// the wire. PLAIN sends it as is, so use it only over TLS.
const (
	None        Mechanism = ""
	Plain       Mechanism = "PLAIN"
	ScramSHA256 Mechanism = "SCRAM-SHA-256"
	ScramSHA512 Mechanism = "SCRAM-SHA-512"
)

// Mechanisms lists the accepted spellings of ParseMechanism, for messages.
const Mechanisms = "none, PLAIN, SCRAM-SHA-256, SCRAM-SHA-512"

// ParseMechanism reads a mechanism name, ignoring case; "" and "none"
// mean None.
func ParseMechanism(s string) (Mechanism, error) {
	switch m := Mechanism(strings.ToUpper(strings.TrimSpace(s))); m {
	case "", "NONE":
		return None, nil
	case Plain, ScramSHA256, ScramSHA512:
		return m, nil
	}
	return None, fmt.Errorf("unknown SASL mechanism %q (known: %s)", s, Mechanisms)
}

// String returns the mechanism's wire name, or "none".
func (m Mechanism) String() string {
	if m == None {
		return "none"
	}
	return string(m)
}

// Security is what an operator configures: how paycore proves who it is to
// the brokers, and whether and how the connection is encrypted. The zero
// value is plaintext without authentication (a development broker).
type Security struct {
	Mechanism Mechanism
	// Username is the SASL user; required with a mechanism.
	Username string
	// Password, or PasswordFile (one of them, with a mechanism): a file
	// keeps the secret out of the process environment and lets a secret
	// store mount it. One trailing newline of the file is ignored.
	Password     Secret
	PasswordFile string
	TLS          TLS
}

// TLS configures encryption. The broker's certificate is always verified
// (against CAFile, or the system roots without it): paycore has no switch
// to skip verification.
type TLS struct {
	Enabled bool
	// CAFile holds the PEM certificates of the authorities that sign the
	// brokers' certificates; empty means the system roots.
	CAFile string
	// CertFile and KeyFile (PEM, both or neither) are paycore's client
	// certificate, for listeners with ssl.client.auth=required.
	CertFile string
	KeyFile  string
	// ServerName overrides the name checked against the broker's
	// certificate; empty means the host of the address dialled.
	ServerName string
}

// Validate reports every inconsistent setting at once, without reading
// any file (New does). No message contains the password.
func (s Security) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch s.Mechanism {
	case None:
		if s.Username != "" || s.Password != "" || s.PasswordFile != "" {
			add("a username or password is set but no SASL mechanism (set one of %s)", Mechanisms)
		}
	case Plain, ScramSHA256, ScramSHA512:
		if s.Username == "" {
			add("SASL %s needs a username", s.Mechanism)
		}
		switch {
		case s.Password != "" && s.PasswordFile != "":
			add("both a password and a password file are set; keep one (the file is safer)")
		case s.Password == "" && s.PasswordFile == "":
			add("SASL %s needs a password or a password file", s.Mechanism)
		}
	default:
		// Not %q of the raw value: a password pasted into the wrong
		// setting must not be echoed.
		add("unknown SASL mechanism (known: %s)", Mechanisms)
	}
	t := s.TLS
	if !t.Enabled && (t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.ServerName != "") {
		add("TLS files or server name are set but TLS is not enabled")
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		add("a TLS client certificate needs both its certificate file and its key file")
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("kafka security: %w", errors.Join(errs...))
}

// String summarizes s for logs; it never contains the password.
func (s Security) String() string {
	var b strings.Builder
	if s.Mechanism == None {
		b.WriteString("SASL none")
	} else {
		fmt.Fprintf(&b, "SASL %s user %q", s.Mechanism, s.Username)
		switch {
		case s.PasswordFile != "":
			fmt.Fprintf(&b, " password from file %s", s.PasswordFile)
		case s.Password != "":
			b.WriteString(" password set")
		default:
			b.WriteString(" no password")
		}
	}
	if !s.TLS.Enabled {
		b.WriteString(", TLS off")
		return b.String()
	}
	b.WriteString(", TLS on (CA ")
	if s.TLS.CAFile != "" {
		b.WriteString(s.TLS.CAFile)
	} else {
		b.WriteString("system roots")
	}
	if s.TLS.CertFile != "" {
		fmt.Fprintf(&b, ", client certificate %s", s.TLS.CertFile)
	}
	if s.TLS.ServerName != "" {
		fmt.Fprintf(&b, ", server name %s", s.TLS.ServerName)
	}
	b.WriteString(")")
	return b.String()
}

// Format prints String for every verb, so that %+v and %#v, which would
// otherwise walk the fields, cannot reveal more.
func (s Security) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue logs String: log/slog's JSON handler would otherwise marshal
// the fields.
func (s Security) LogValue() slog.Value { return slog.StringValue(s.String()) }
