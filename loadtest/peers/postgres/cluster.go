package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Cluster is a private PostgreSQL cluster of the Debian package's server
// binaries: its own data directory, socket and log under Dir, listening on
// 127.0.0.1:Port only. It is not the package's system service (which this
// benchmark never starts or touches), so runs can create and stop it at
// will without disturbing anything else on the machine.
type Cluster struct {
	// BinDir holds initdb, pg_ctl and postgres; empty selects the newest
	// /usr/lib/postgresql/*/bin (what `apt-get install postgresql` puts
	// there).
	BinDir string
	// Dir holds data/ (the cluster), the socket and server.log.
	Dir string
	// Port is the TCP port on 127.0.0.1; pick one no other server uses.
	Port int
	// Settings are extra `-c name=value` server settings, e.g.
	// synchronous_commit=off. The defaults of the package apply otherwise.
	Settings map[string]string
}

// superuser is the cluster's bootstrap role; the cluster trusts local
// connections (it listens on loopback only and holds benchmark data only).
const superuser = "paycore"

// serviceUser runs the server when the benchmark runs as root: the server
// refuses to run as root, and the Debian package creates this account.
const serviceUser = "postgres"

// DSN returns a connection string for database db of the cluster.
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", superuser, c.Port, db)
}

// Start initialises the cluster on first use (initdb) and starts it,
// waiting until it accepts connections. A server of a previous run that
// was left running is stopped first, so the settings of this run apply.
func (c *Cluster) Start(ctx context.Context) error {
	if err := c.resolveBinDir(); err != nil {
		return err
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return err
	}
	if err := c.chownForService(); err != nil {
		return err
	}
	data := filepath.Join(c.Dir, "data")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if out, err := c.run(ctx, "initdb", "-D", data, "-U", superuser, "--auth=trust", "-E", "UTF8", "--no-locale"); err != nil {
			return fmt.Errorf("postgres: initdb: %w\n%s", err, out)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err == nil {
		_ = c.Stop()
	}
	opts := []string{"-p", strconv.Itoa(c.Port), "-k", c.Dir, "-c", "listen_addresses=127.0.0.1"}
	for name, value := range c.Settings {
		opts = append(opts, "-c", name+"="+value)
	}
	startCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	out, err := c.run(startCtx, "pg_ctl", "-D", data, "-l", filepath.Join(c.Dir, "server.log"), "-w", "-t", "60",
		"-o", strings.Join(opts, " "), "start")
	if err != nil {
		return fmt.Errorf("postgres: pg_ctl start: %w\n%s", err, out)
	}
	return nil
}

// Stop stops the server (fast shutdown: sessions are ended, the data is
// kept and consistent).
func (c *Cluster) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := c.run(ctx, "pg_ctl", "-D", filepath.Join(c.Dir, "data"), "-m", "fast", "-w", "stop")
	if err != nil {
		return fmt.Errorf("postgres: pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

// run runs a server binary, as serviceUser when the benchmark is root.
func (c *Cluster) run(ctx context.Context, bin string, args ...string) ([]byte, error) {
	path := filepath.Join(c.BinDir, bin)
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", serviceUser, "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	// pg_ctl's server outlives this command: its output goes to the log,
	// and CombinedOutput must not wait for the server's pipes.
	cmd.WaitDelay = 5 * time.Second
	return cmd.CombinedOutput()
}

func (c *Cluster) resolveBinDir() error {
	if c.BinDir != "" {
		return nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	best := -1
	for _, d := range dirs {
		v, err := strconv.Atoi(filepath.Base(filepath.Dir(d)))
		if err == nil && v > best {
			if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
				best, c.BinDir = v, d
			}
		}
	}
	if best < 0 {
		return errors.New("postgres: no /usr/lib/postgresql/*/bin/pg_ctl: apt-get install -y postgresql")
	}
	return nil
}

// chownForService hands Dir to serviceUser when the benchmark is root; the
// server must own its data directory.
func (c *Cluster) chownForService() error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup(serviceUser)
	if err != nil {
		return fmt.Errorf("postgres: running as root needs the %s account of the Debian package: %w", serviceUser, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(c.Dir, uid, gid)
}
