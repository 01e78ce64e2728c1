package stacktest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// SASL describes listeners WithSASL adds to the broker. Its PLAINTEXT
// listener (Server.Addr) stays: the stack's health check uses it, and so
// can a test that sets the broker up behind the client's back.
type SASL struct {
	// Users maps user names to passwords. Each user can authenticate
	// with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 (the SCRAM credentials
	// are written by the log directory format, 4096 iterations). Names
	// and passwords are limited to letters, digits, '.', '_' and '-':
	// they go unquoted into the broker's configuration.
	Users map[string]string
	// TLS adds a SASL_SSL listener whose certificate, for 127.0.0.1 and
	// localhost, is signed by a certificate authority generated for the
	// test (Server.CAFile).
	TLS bool
}

var saslToken = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// WithSASL adds a SASL_PLAINTEXT listener (Server.SASLAddr) and, with
// TLS, a SASL_SSL listener (Server.SASLTLSAddr) to the broker.
func WithSASL(cfg SASL) KafkaOption {
	return func(t testing.TB, b *brokerSetup) {
		t.Helper()
		if len(cfg.Users) == 0 {
			t.Fatal("stacktest.WithSASL: no users")
		}
		host := "127.0.0.1"
		listeners := map[string]int{"SASL_PLAINTEXT": freePort(t)}
		b.saslAddr = fmt.Sprintf("%s:%d", host, listeners["SASL_PLAINTEXT"])
		if cfg.TLS {
			listeners["SASL_SSL"] = freePort(t)
			b.saslTLSAddr = fmt.Sprintf("%s:%d", host, listeners["SASL_SSL"])
			ca, keystore := certificates(t)
			b.caPEM = ca
			b.properties = append(b.properties,
				"listener.name.sasl_ssl.ssl.keystore.type=PEM",
				"listener.name.sasl_ssl.ssl.keystore.location="+keystore)
		}

		var plainUsers []string
		for user, pass := range cfg.Users {
			if !saslToken.MatchString(user) || !saslToken.MatchString(pass) {
				t.Fatalf("stacktest.WithSASL: user %q or its password has characters other than [A-Za-z0-9._-]", user)
			}
			plainUsers = append(plainUsers, fmt.Sprintf("user_%s=%q", user, pass))
			for _, m := range []string{"SCRAM-SHA-256", "SCRAM-SHA-512"} {
				b.formatArgs = append(b.formatArgs, "--add-scram", fmt.Sprintf("%s=[name=%s,password=%s]", m, user, pass))
			}
		}

		// The stack's template declares PLAINTEXT and CONTROLLER; these
		// keys come later in the file and replace its lines.
		all := []string{fmt.Sprintf("PLAINTEXT://%s:%d", host, b.port)}
		protocols := []string{"PLAINTEXT:PLAINTEXT", "CONTROLLER:PLAINTEXT"}
		for _, name := range []string{"SASL_PLAINTEXT", "SASL_SSL"} {
			port, ok := listeners[name]
			if !ok {
				continue
			}
			all = append(all, fmt.Sprintf("%s://%s:%d", name, host, port))
			protocols = append(protocols, name+":"+name)
			l := strings.ToLower(name)
			b.properties = append(b.properties,
				fmt.Sprintf("listener.name.%s.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required %s;", l, strings.Join(plainUsers, " ")),
				fmt.Sprintf("listener.name.%s.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;", l),
				fmt.Sprintf("listener.name.%s.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;", l))
		}
		b.properties = append(b.properties,
			fmt.Sprintf("listeners=%s,CONTROLLER://%s:%d", strings.Join(all, ","), host, b.controller),
			"advertised.listeners="+strings.Join(all, ","),
			"listener.security.protocol.map="+strings.Join(protocols, ","),
			"sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512")
	}
}

// certificates writes a certificate authority (ca.pem) and a broker
// keystore (keystore.pem: the PKCS#8 key, then the certificate, which
// names 127.0.0.1 and localhost) into a temporary directory.
func certificates(t testing.TB) (caFile, keystoreFile string) {
	t.Helper()
	dir := t.TempDir()
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "paycore test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	caFile, keystoreFile = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "keystore.pem")
	writePEM(t, caFile, pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	writePEM(t, keystoreFile, pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}, pem.Block{Type: "CERTIFICATE", Bytes: der})
	return caFile, keystoreFile
}

func writePEM(t testing.TB, file string, blocks ...pem.Block) {
	t.Helper()
	var out []byte
	for _, b := range blocks {
		out = append(out, pem.EncodeToMemory(&b)...)
	}
	if err := os.WriteFile(file, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// UnrelatedCA writes a certificate authority that signed nothing the
// broker presents, for tests that check a client refuses the broker's
// certificate; it returns the CA's PEM file.
func UnrelatedCA(t testing.TB) string {
	ca, _ := certificates(t)
	return ca
}
