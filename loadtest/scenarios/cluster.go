package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/segmentio/kafka-go"
)

// Cluster is a private Kafka cluster of Nodes combined broker+controller
// JVMs on loopback (a static KRaft quorum of all of them), each with its
// own ports and log directory under Dir: the layout of
// deploy/docker/compose.3-brokers.yaml without Docker. Its topics default
// to replication factor 3 and min.insync.replicas 2 (with 3 nodes), so
// acks=all waits for two copies as in production. Start and Stop it from
// the same process; the shared stack (deploy/stack.sh) is not touched.
type Cluster struct {
	Nodes int
	// Libs holds the Kafka jars (PAYCORE_KAFKA_LIBS of `deploy/stack.sh
	// env`; deploy/stack.sh up fetches them).
	Libs string
	Heap string // per JVM, e.g. "512m"
	Dir  string // empty: a fresh temporary directory, removed by Stop

	ports, controllers []int
	procs              []*exec.Cmd
	removeDir          bool
}

// Brokers returns the bootstrap addresses of the nodes.
func (c *Cluster) Brokers() []string {
	out := make([]string, len(c.ports))
	for i, p := range c.ports {
		out[i] = fmt.Sprintf("127.0.0.1:%d", p)
	}
	return out
}

// Start formats the log directories and starts every node, then waits
// until each one answers metadata with the whole cluster in it.
func (c *Cluster) Start(ctx context.Context) error {
	if c.Nodes < 1 {
		return errors.New("scenarios: a cluster needs at least one node")
	}
	if c.Libs == "" {
		return errors.New("scenarios: no Kafka jars: eval \"$(deploy/stack.sh env)\" sets PAYCORE_KAFKA_LIBS")
	}
	if c.Heap == "" {
		c.Heap = "512m"
	}
	if c.Dir == "" {
		d, err := os.MkdirTemp("", "paycore-cluster-")
		if err != nil {
			return err
		}
		c.Dir, c.removeDir = d, true
	}
	for range c.Nodes {
		p, err := freePort()
		if err != nil {
			return err
		}
		q, err := freePort()
		if err != nil {
			return err
		}
		c.ports, c.controllers = append(c.ports, p), append(c.controllers, q)
	}
	out, err := c.java(ctx, "kafka.tools.StorageTool", "random-uuid")
	if err != nil {
		return fmt.Errorf("cluster id: %w\n%s", err, out)
	}
	lines := strings.Fields(out) // the ID is the last word printed
	if len(lines) == 0 {
		return errors.New("cluster id: StorageTool printed nothing")
	}
	clusterID := lines[len(lines)-1]
	for i := range c.Nodes {
		props, err := c.configure(i)
		if err != nil {
			return err
		}
		if out, err := c.java(ctx, "kafka.tools.StorageTool", "format", "-t", clusterID, "-c", props); err != nil {
			return fmt.Errorf("format node %d: %w\n%s", i+1, err, out)
		}
	}
	for i := range c.Nodes {
		if err := c.spawn(i); err != nil {
			c.Stop()
			return err
		}
	}
	if err := c.waitReady(ctx); err != nil {
		c.Stop()
		return err
	}
	return nil
}

// configure writes node i's server.properties and returns its path.
func (c *Cluster) configure(i int) (string, error) {
	dir := filepath.Join(c.Dir, fmt.Sprintf("node%d", i+1))
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return "", err
	}
	voters := make([]string, c.Nodes)
	for j, q := range c.controllers {
		voters[j] = fmt.Sprintf("%d@127.0.0.1:%d", j+1, q)
	}
	rf, isr := min(3, c.Nodes), max(1, min(2, c.Nodes-1))
	props := []string{
		"process.roles=broker,controller",
		fmt.Sprintf("node.id=%d", i+1),
		"controller.quorum.voters=" + strings.Join(voters, ","),
		fmt.Sprintf("listeners=PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d", c.ports[i], c.controllers[i]),
		fmt.Sprintf("advertised.listeners=PLAINTEXT://127.0.0.1:%d", c.ports[i]),
		"controller.listener.names=CONTROLLER",
		"inter.broker.listener.name=PLAINTEXT",
		"listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
		"log.dirs=" + filepath.Join(dir, "data"),
		"auto.create.topics.enable=false",
		fmt.Sprintf("default.replication.factor=%d", rf),
		fmt.Sprintf("min.insync.replicas=%d", isr),
		fmt.Sprintf("offsets.topic.replication.factor=%d", rf),
		"offsets.topic.num.partitions=12",
		fmt.Sprintf("transaction.state.log.replication.factor=%d", rf),
		fmt.Sprintf("transaction.state.log.min.isr=%d", isr),
		fmt.Sprintf("share.coordinator.state.topic.replication.factor=%d", rf),
		fmt.Sprintf("share.coordinator.state.topic.min.isr=%d", isr),
		// As deploy/kafka/server.properties.tmpl: groups come and go in
		// benchmarks, and commits should not wait for a linger.
		"group.initial.rebalance.delay.ms=0",
		"group.coordinator.append.linger.ms=0",
		"message.max.bytes=4194304",
	}
	path := filepath.Join(dir, "server.properties")
	return path, os.WriteFile(path, []byte(strings.Join(props, "\n")+"\n"), 0o644)
}

// log4j returns the stack's broker logging configuration.
func log4j() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "deploy", "kafka", "log4j2.properties")
}

func (c *Cluster) java(ctx context.Context, main string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "java", append([]string{"-Xmx256m", "-cp", filepath.Join(c.Libs, "*"),
		"-Dlog4j2.configurationFile=" + log4j(), main}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// spawn starts node i in its own session, its output in node<i>/kafka.log.
func (c *Cluster) spawn(i int) error {
	dir := filepath.Join(c.Dir, fmt.Sprintf("node%d", i+1))
	logf, err := os.Create(filepath.Join(dir, "kafka.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command("java", "-Xms256m", "-Xmx"+c.Heap, "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true",
		"-Dlog4j2.configurationFile="+log4j(), "-cp", filepath.Join(c.Libs, "*"), "kafka.Kafka", filepath.Join(dir, "server.properties"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start node %d: %w", i+1, err)
	}
	c.procs = append(c.procs, cmd)
	return nil
}

// waitReady waits until every node's metadata lists every node.
func (c *Cluster) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(2 * time.Minute)
	for _, addr := range c.Brokers() {
		for {
			if n, err := brokersSeen(ctx, addr); err == nil && n == c.Nodes {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("cluster node %s not ready within 2m (logs under %s)", addr, c.Dir)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
	return nil
}

func brokersSeen(ctx context.Context, addr string) (int, error) {
	d := &kafka.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	bs, err := conn.Brokers()
	return len(bs), err
}

// Stop stops every node it started (SIGTERM, then SIGKILL after 30 s) and
// removes a temporary Dir.
func (c *Cluster) Stop() {
	for _, p := range c.procs {
		_ = p.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range c.procs {
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = p.Process.Kill()
			<-done
		}
	}
	c.procs = nil
	if c.removeDir {
		_ = os.RemoveAll(c.Dir)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
