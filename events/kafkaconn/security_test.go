package kafkaconn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segmentio/kafka-go"
)

// password is distinctive, so that finding it anywhere is a leak.
const password = "Pa55-never-printed"

func TestParseMechanism(t *testing.T) {
	for in, want := range map[string]Mechanism{
		"": None, "none": None, "NONE": None, "plain": Plain, "PLAIN": Plain,
		"scram-sha-256": ScramSHA256, " SCRAM-SHA-512 ": ScramSHA512,
	} {
		got, err := ParseMechanism(in)
		if err != nil || got != want {
			t.Errorf("ParseMechanism(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseMechanism("GSSAPI"); err == nil || !strings.Contains(err.Error(), "unknown SASL mechanism") {
		t.Errorf("GSSAPI: err = %v, want unknown mechanism", err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		sec  Security
		want string // "" = valid
	}{
		{"plaintext", Security{}, ""},
		{"scram", Security{Mechanism: ScramSHA512, Username: "paycore", Password: password}, ""},
		{"plain over tls with file", Security{Mechanism: Plain, Username: "u", PasswordFile: "/f", TLS: TLS{Enabled: true, CAFile: "/ca"}}, ""},
		{"username without mechanism", Security{Username: "paycore"}, "no SASL mechanism"},
		{"password without mechanism", Security{Password: password}, "no SASL mechanism"},
		{"unknown mechanism", Security{Mechanism: Mechanism(password), Username: "u", Password: password}, "unknown SASL mechanism"},
		{"no username", Security{Mechanism: Plain, Password: password}, "needs a username"},
		{"no password", Security{Mechanism: ScramSHA256, Username: "u"}, "needs a password"},
		{"password and file", Security{Mechanism: ScramSHA256, Username: "u", Password: password, PasswordFile: "/f"}, "keep one"},
		{"tls files without tls", Security{TLS: TLS{CAFile: "/ca"}}, "TLS is not enabled"},
		{"cert without key", Security{TLS: TLS{Enabled: true, CertFile: "/c"}}, "both its certificate file and its key file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.sec.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			case err != nil && strings.Contains(err.Error(), password):
				t.Fatalf("error reveals the password: %v", err)
			}
		})
	}
}

func TestNothingPrintsThePassword(t *testing.T) {
	sec := Security{Mechanism: ScramSHA512, Username: "paycore", Password: password,
		TLS: TLS{Enabled: true, ServerName: "kafka.internal"}}
	conn, err := New(sec)
	if err != nil {
		t.Fatal(err)
	}
	plainConn, err := New(Security{Mechanism: Plain, Username: "paycore", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	var printed []string
	for _, v := range []any{sec, &sec, sec.Password, conn, plainConn, conn.Dialer(), plainConn.Dialer(),
		conn.SecureTransport(&kafka.Transport{}), plainConn.SecureTransport(&kafka.Transport{})} {
		for _, verb := range []string{"%s", "%v", "%+v", "%#v", "%q", "%x"} {
			printed = append(printed, fmt.Sprintf(verb, v))
		}
	}
	js, err := json.Marshal(sec)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "security", sec, "password", sec.Password, "connector", conn)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "security", sec, "password", sec.Password, "connector", conn)
	printed = append(printed, string(js), logs.String())
	for _, p := range printed {
		if strings.Contains(p, password) || strings.Contains(p, fmt.Sprintf("%x", password)) {
			t.Fatalf("the password leaked: %s", p)
		}
	}
	// And the summary still says what matters.
	if s := sec.String(); !strings.Contains(s, `SASL SCRAM-SHA-512 user "paycore" password set`) || !strings.Contains(s, "TLS on") {
		t.Fatalf("summary %q lacks the mechanism, user or TLS", s)
	}
	if !strings.Contains(string(js), `"Password":"[redacted]"`) {
		t.Fatalf("JSON %s: password not redacted", js)
	}
}

func TestNewReadsFilesAndReportsThem(t *testing.T) {
	dir := t.TempDir()
	pwFile := write(t, dir, "password", password+"\n")
	empty := write(t, dir, "empty", "\n")
	notPEM := write(t, dir, "not.pem", password)
	missing := filepath.Join(dir, "missing")

	conn, err := New(Security{Mechanism: ScramSHA256, Username: "u", PasswordFile: pwFile})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(conn.mechanism.(*scram).pass); got != password {
		t.Fatalf("password from file is %d bytes, want the %d of the file without its newline", len(got), len(password))
	}

	cases := []struct {
		name string
		sec  Security
		want string
	}{
		{"password file missing", Security{Mechanism: Plain, Username: "u", PasswordFile: missing}, "password file: open " + missing},
		{"password file empty", Security{Mechanism: Plain, Username: "u", PasswordFile: empty}, "is empty"},
		{"CA file missing", Security{TLS: TLS{Enabled: true, CAFile: missing}}, "TLS CA file: open " + missing},
		{"CA file not PEM", Security{TLS: TLS{Enabled: true, CAFile: notPEM}}, "holds no PEM certificate"},
		{"client key not PEM", Security{TLS: TLS{Enabled: true, CertFile: notPEM, KeyFile: notPEM}}, "TLS client certificate"},
		{"invalid settings", Security{Username: "u"}, "no SASL mechanism"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.sec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), password) {
				t.Fatalf("error reveals a file's content: %v", err)
			}
		})
	}
}

func TestClientsCarryTheSecurity(t *testing.T) {
	var none *Connector
	if none.Transport() != kafka.DefaultTransport {
		t.Error("a nil Connector must use kafka.DefaultTransport")
	}
	if d := none.Dialer(); d.SASLMechanism != nil || d.TLS != nil || d.Timeout != kafka.DefaultDialer.Timeout {
		t.Errorf("a nil Connector's Dialer = %+v, want kafka.DefaultDialer's settings", d)
	}
	if none.Explain("b:1", kafka.SASLAuthenticationFailed) != kafka.SASLAuthenticationFailed {
		t.Error("a nil Connector must not rewrite errors")
	}

	conn, err := New(Security{Mechanism: Plain, Username: "u", Password: password, TLS: TLS{Enabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	d := conn.Dialer()
	if d.SASLMechanism == nil || d.SASLMechanism.Name() != "PLAIN" || d.TLS == nil || d.TLS.MinVersion < 0x0303 {
		t.Errorf("Dialer lacks SASL or TLS 1.2+: %+v", d)
	}
	if tr, ok := conn.Transport().(*explainingTransport); !ok || tr.t.SASL == nil || tr.t.TLS == nil {
		t.Errorf("Transport lacks SASL or TLS: %#v", conn.Transport())
	}
	if d.TLS.InsecureSkipVerify {
		t.Error("certificate verification must never be skipped")
	}

	err = conn.Explain("b:1", fmt.Errorf("metadata: %w", kafka.SASLAuthenticationFailed))
	want := `kafka: broker b:1: SASL PLAIN authentication as user "u" failed`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("Explain = %v, want prefix %q", err, want)
	}
	if again := conn.Explain("b:1", err); again != err {
		t.Fatalf("Explain wrapped twice: %v", again)
	}
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
