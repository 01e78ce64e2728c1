package chconn

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// codeUnknownDatabase is ClickHouse's UNKNOWN_DATABASE error code, stable
// across releases.
const codeUnknownDatabase = 81

// Open connects to ClickHouse with cfg (zero fields defaulted) and returns
// a pooled connection whose current database is cfg.Database, creating
// that database first if it does not exist. It pings before returning, so
// a nil error means the server answered.
//
// An unreachable server makes Open fail within twice cfg.DialTimeout, even
// if ctx has no deadline, with an error naming the address. Errors never
// contain the password.
func Open(ctx context.Context, cfg Config) (driver.Conn, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	conn, err := connect(ctx, cfg, cfg.Database)
	var ex *clickhouse.Exception
	if errors.As(err, &ex) && ex.Code == codeUnknownDatabase {
		// The server checks the database during the handshake, so it has
		// to be created over a connection that names none.
		if err := createDatabase(ctx, cfg); err != nil {
			return nil, err
		}
		conn, err = connect(ctx, cfg, cfg.Database)
	}
	if err != nil {
		return nil, describe(ctx, cfg, err)
	}
	return conn, nil
}

// connect opens a pool on database ("" for the user's default) and pings
// it under a deadline of its own: the driver's dial and handshake timeouts
// do not cover a server that accepts and then stalls mid-handshake.
func connect(ctx context.Context, cfg Config, database string) (driver.Conn, error) {
	conn, err := clickhouse.Open(&clickhouse.Options{
		Protocol: clickhouse.Native,
		Addr:     cfg.Addr,
		Auth: clickhouse.Auth{
			Database: database,
			Username: cfg.Username,
			Password: cfg.Password,
		},
		DialTimeout: cfg.DialTimeout,
		ReadTimeout: cfg.ReadTimeout,
	})
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 2*cfg.DialTimeout)
	defer cancel()
	if err := conn.Ping(pingCtx); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

func createDatabase(ctx context.Context, cfg Config) error {
	conn, err := connect(ctx, cfg, "")
	if err != nil {
		return describe(ctx, cfg, err)
	}
	defer conn.Close()
	// cfg.Database is a validated identifier, so quoting it is enough.
	if err := conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS `"+cfg.Database+"`"); err != nil {
		return fmt.Errorf("chconn: creating database %s at %s: %w", cfg.Database, addrs(cfg), err)
	}
	return nil
}

// describe turns a connection failure into an error an operator can act
// on: a server that answered with an error (bad credentials, say) is not
// reported as unreachable.
func describe(ctx context.Context, cfg Config, err error) error {
	var ex *clickhouse.Exception
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("chconn: connecting to ClickHouse at %s: %w", addrs(cfg), err)
	case errors.As(err, &ex):
		return fmt.Errorf("chconn: ClickHouse at %s refused user %s on database %s: %w",
			addrs(cfg), cfg.Username, cfg.Database, err)
	default:
		return fmt.Errorf("chconn: ClickHouse not reachable at %s: %w; "+
			"for the local stack, start it with deploy/stack.sh up clickhouse", addrs(cfg), err)
	}
}

func addrs(cfg Config) string { return strings.Join(cfg.Addr, ",") }
