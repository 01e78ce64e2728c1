// Package chconn opens paycore's connections to ClickHouse, where the
// projections (reconciliation, clearing, reporting) live.
//
// Connections use the native protocol only: the driver's HTTP protocol
// fails against ClickHouse 18.16 (Debian's, used in development and the
// oldest release paycore supports), while the native one works there and
// on current releases.
package chconn

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Environment variables read by ConfigFromEnv.
const (
	EnvAddr     = "PAYCORE_CLICKHOUSE_ADDR"     // comma-separated host:port list
	EnvDatabase = "PAYCORE_CLICKHOUSE_DATABASE" // database name
	EnvUser     = "PAYCORE_CLICKHOUSE_USER"     // user name
	EnvPassword = "PAYCORE_CLICKHOUSE_PASSWORD" // password; never logged
)

// Defaults applied by Open to zero Config fields. The address and database
// match deploy/stack.sh, so a developer's stack works without settings.
const (
	DefaultAddr        = "127.0.0.1:19000"
	DefaultDatabase    = "paycore"
	DefaultUsername    = "default"
	DefaultDialTimeout = 5 * time.Second
	DefaultReadTimeout = 60 * time.Second
)

// Config says where and as whom to connect. The zero value is usable: Open
// fills every zero field with its Default* constant.
//
// Config formats itself (%v, %+v, %#v) and logs itself (slog) with the
// password redacted, so it can be logged as a whole.
type Config struct {
	// Addr lists native-protocol endpoints (host:port); the driver picks one
	// in order and fails over to the next.
	Addr []string
	// Database is the database Open connects to, creating it if missing.
	// It must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*), because
	// ClickHouse cannot take a database name as a query parameter.
	Database string
	Username string
	Password string
	// DialTimeout bounds connecting and the handshake; Open gives up on an
	// unreachable server after at most twice this long.
	DialTimeout time.Duration
	// ReadTimeout bounds each read from the server. It is not a query
	// timeout: the server sends progress packets while a long query runs.
	ReadTimeout time.Duration
}

// ConfigFromEnv returns a Config read from the PAYCORE_CLICKHOUSE_*
// variables. Unset variables leave their fields zero, to be defaulted by
// Open; nothing is validated here (see Validate).
func ConfigFromEnv() Config {
	var c Config
	for a := range strings.SplitSeq(os.Getenv(EnvAddr), ",") {
		if a = strings.TrimSpace(a); a != "" {
			c.Addr = append(c.Addr, a)
		}
	}
	c.Database = os.Getenv(EnvDatabase)
	c.Username = os.Getenv(EnvUser)
	c.Password = os.Getenv(EnvPassword)
	return c
}

func (c *Config) setDefaults() {
	if len(c.Addr) == 0 {
		c.Addr = []string{DefaultAddr}
	}
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if c.Username == "" {
		c.Username = DefaultUsername
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate reports whether Open would accept c once defaults are applied.
// Each problem found is reported, joined into one error.
func (c Config) Validate() error {
	c.setDefaults()
	var errs []error
	for _, a := range c.Addr {
		if err := validateAddr(a); err != nil {
			errs = append(errs, err)
		}
	}
	if !identifier.MatchString(c.Database) {
		errs = append(errs, fmt.Errorf("chconn: database %q is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*)", c.Database))
	}
	if c.DialTimeout < 0 || c.ReadTimeout < 0 {
		errs = append(errs, errors.New("chconn: timeouts must not be negative"))
	}
	return errors.Join(errs...)
}

func validateAddr(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("chconn: address %q: want host:port: %w", a, err)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 || host == "" {
		return fmt.Errorf("chconn: address %q: want host:port with a port in 1..65535", a)
	}
	return nil
}

// String describes c for humans with the password redacted.
func (c Config) String() string {
	return fmt.Sprintf("clickhouse://%s@%s/%s (password %s)",
		c.Username, strings.Join(c.Addr, ","), c.Database, c.redactedPassword())
}

// GoString makes %#v redact the password too.
func (c Config) GoString() string { return "chconn.Config{" + c.String() + "}" }

// LogValue implements slog.LogValuer with the password redacted; without
// it a JSON handler would log every exported field, Password included.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("addr", strings.Join(c.Addr, ",")),
		slog.String("database", c.Database),
		slog.String("username", c.Username),
		slog.String("password", c.redactedPassword()),
		slog.Duration("dial_timeout", c.DialTimeout),
		slog.Duration("read_timeout", c.ReadTimeout),
	)
}

func (c Config) redactedPassword() string {
	if c.Password == "" {
		return "unset"
	}
	return "redacted"
}
