package chconn

import (
	"bytes"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	t.Setenv(EnvAddr, " ch1:9000, ch2:9000 ,")
	t.Setenv(EnvDatabase, "paycore_x")
	t.Setenv(EnvUser, "projector")
	t.Setenv(EnvPassword, "pw")
	want := Config{Addr: []string{"ch1:9000", "ch2:9000"}, Database: "paycore_x", Username: "projector", Password: "pw"}
	if got := ConfigFromEnv(); !reflect.DeepEqual(got, want) {
		t.Errorf("ConfigFromEnv() = %#v, want %#v", got, want)
	}
}

func TestSetDefaults(t *testing.T) {
	var c Config
	c.setDefaults()
	want := Config{
		Addr:        []string{DefaultAddr},
		Database:    DefaultDatabase,
		Username:    DefaultUsername,
		DialTimeout: DefaultDialTimeout,
		ReadTimeout: DefaultReadTimeout,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults = %+v, want %+v", c, want)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // substring; "" means valid
	}{
		{"zero value", Config{}, ""},
		{"several addresses", Config{Addr: []string{"a:1", "[::1]:9000"}}, ""},
		{"missing port", Config{Addr: []string{"localhost"}}, `"localhost": want host:port`},
		{"port zero", Config{Addr: []string{"localhost:0"}}, "port in 1..65535"},
		{"port too large", Config{Addr: []string{"localhost:70000"}}, "port in 1..65535"},
		{"missing host", Config{Addr: []string{":9000"}}, "port in 1..65535"},
		{"injection in database", Config{Database: "x`; DROP DATABASE y"}, "not a plain identifier"},
		{"database with dash", Config{Database: "pay-core"}, "not a plain identifier"},
		{"negative timeout", Config{DialTimeout: -time.Second}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestPasswordNeverFormatted(t *testing.T) {
	const secret = "hunter2-secret"
	c := Config{Addr: []string{"ch:9000"}, Username: "u", Password: secret}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("connecting", "clickhouse", c)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("connecting", "clickhouse", c)
	for _, s := range []string{
		fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%v", &c), buf.String(),
	} {
		if strings.Contains(s, secret) {
			t.Errorf("password leaked: %s", s)
		}
		if !strings.Contains(s, "redacted") {
			t.Errorf("want the password shown as redacted: %s", s)
		}
	}
}
