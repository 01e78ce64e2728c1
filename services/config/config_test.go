package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paycore/paycore/events/kafkaconn"
)

const testPassword = "Env-pw.never-shown"

func TestKafkaSecurityFromEnv(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(testPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		env     map[string]string
		want    string // in the Connector's summary
		wantErr string
	}{
		{"unset: plaintext", nil, "SASL none, TLS off", ""},
		{"SCRAM over TLS, password from a file", map[string]string{
			EnvKafkaSASLMechanism: "scram-sha-512", EnvKafkaUsername: "paycore", EnvKafkaPasswordFile: pwFile,
			EnvKafkaTLS: "true", EnvKafkaTLSServerName: "kafka.internal",
		}, `SASL SCRAM-SHA-512 user "paycore" password from file ` + pwFile + `, TLS on (CA system roots, server name kafka.internal)`, ""},
		{"PLAIN, password from the environment", map[string]string{
			EnvKafkaSASLMechanism: "PLAIN", EnvKafkaUsername: "paycore", EnvKafkaPassword: testPassword,
		}, `SASL PLAIN user "paycore" password set, TLS off`, ""},
		{"unknown mechanism", map[string]string{EnvKafkaSASLMechanism: "KERBEROS"}, "", EnvKafkaSASLMechanism + `: unknown SASL mechanism "KERBEROS"`},
		{"TLS not a boolean", map[string]string{EnvKafkaTLS: "yes please"}, "", EnvKafkaTLS + `="yes please": want true or false`},
		{"password without mechanism", map[string]string{EnvKafkaPassword: testPassword}, "", "no SASL mechanism"},
		{"password file missing", map[string]string{
			EnvKafkaSASLMechanism: "PLAIN", EnvKafkaUsername: "paycore", EnvKafkaPasswordFile: pwFile + ".missing",
		}, "", "password file: open " + pwFile + ".missing"},
		{"both password and file", map[string]string{
			EnvKafkaSASLMechanism: "PLAIN", EnvKafkaUsername: "paycore", EnvKafkaPassword: testPassword, EnvKafkaPasswordFile: pwFile,
		}, "", "keep one"},
	}
	all := []string{EnvKafkaSASLMechanism, EnvKafkaUsername, EnvKafkaPassword, EnvKafkaPasswordFile, EnvKafkaTLS,
		EnvKafkaTLSCAFile, EnvKafkaTLSCertFile, EnvKafkaTLSKeyFile, EnvKafkaTLSServerName}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range all {
				t.Setenv(v, tc.env[v])
			}
			k, err := KafkaFromEnv()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), testPassword) {
					t.Fatalf("the error reveals the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := k.Connector.String(); got != tc.want {
				t.Fatalf("security = %q, want %q", got, tc.want)
			}
			if sec := k.Connector.Security(); sec.Mechanism != kafkaconn.None && sec.Username != "paycore" {
				t.Fatalf("username %q, want paycore", sec.Username)
			}
		})
	}
}
