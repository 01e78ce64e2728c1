package topology

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/segmentio/kafka-go"
)

// ErrMismatch is returned (wrapped) by Ensure when the broker holds a
// declared topic with settings that contradict the declaration. The message
// says what differs and how to fix it; paycore refuses to run until then.
var ErrMismatch = errors.New("topology mismatch")

// ErrUnreachable is returned (wrapped) when no broker answers in time.
var ErrUnreachable = errors.New("kafka unreachable")

// EnsureOptions bound the start-up check.
type EnsureOptions struct {
	// Timeout bounds the whole check, so a wrong address fails in seconds.
	Timeout time.Duration
	// Create missing topics (true for operators and tests; a locked-down
	// production deployment may create topics out of band and set false).
	Create bool
	// ReplicationFactor for created topics; 1 on a single broker, 3 in
	// production.
	ReplicationFactor int
	// Connector authenticates and encrypts the connections; nil is
	// plaintext. A refused login fails Ensure with a *kafkaconn.AuthError.
	Connector *kafkaconn.Connector
}

// Report says what Ensure found and did.
type Report struct {
	Created []string
	Present []string
}

// Ensure checks the broker at brokers against t: every topic exists (created
// when opts.Create), has the declared partition count, and every
// co-partitioned group agrees on its partition count. It returns an error
// wrapping ErrMismatch or ErrUnreachable with a message an operator can act
// on.
func Ensure(ctx context.Context, brokers []string, t Topology, opts EnsureOptions) (Report, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.ReplicationFactor == 0 {
		opts.ReplicationFactor = 1
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: opts.Timeout, Transport: opts.Connector.Transport()}

	existing, err := partitionCounts(ctx, client, opts.Connector)
	if err != nil {
		return Report{}, err
	}
	var rep Report
	var missing []kafka.TopicConfig
	for _, tp := range t.Topics {
		if _, ok := existing[tp.Name]; ok {
			rep.Present = append(rep.Present, tp.Name)
			continue
		}
		missing = append(missing, topicConfig(tp, opts.ReplicationFactor))
	}
	if len(missing) > 0 && !opts.Create {
		names := make([]string, len(missing))
		for i, m := range missing {
			names[i] = m.Topic
		}
		return rep, fmt.Errorf("%w: topics missing: %s (run `paycore topics ensure` or create them with the declared partitions)", ErrMismatch, strings.Join(names, ", "))
	}
	if len(missing) > 0 {
		resp, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: missing})
		if err != nil {
			return rep, fmt.Errorf("creating topics: %w", err)
		}
		for name, err := range resp.Errors {
			if err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
				return rep, fmt.Errorf("creating topic %s: %w", name, err)
			}
			rep.Created = append(rep.Created, name)
		}
		sort.Strings(rep.Created)
		if existing, err = waitForTopics(ctx, client, opts.Connector, missing); err != nil {
			return rep, err
		}
	}
	return rep, checkPartitions(t, existing)
}

// checkPartitions compares the broker's partition counts with the declaration.
func checkPartitions(t Topology, existing map[string]int) error {
	var problems []string
	for _, tp := range t.Topics {
		if got := existing[tp.Name]; got != tp.Partitions {
			fix := "declare the count the cluster has (--partitions) or recreate the topic"
			if got < tp.Partitions {
				fix = fmt.Sprintf("add partitions with kafka-topics --alter --topic %s --partitions %d, but only together with every topic of group %q, before any processor runs", tp.Name, tp.Partitions, tp.Group)
			}
			problems = append(problems, fmt.Sprintf("%s has %d partitions, declared %d: %s", tp.Name, got, tp.Partitions, fix))
		}
	}
	for group, topics := range t.Groups() {
		counts := map[int][]string{}
		for _, tp := range topics {
			counts[existing[tp.Name]] = append(counts[existing[tp.Name]], tp.Name)
		}
		if len(counts) > 1 {
			problems = append(problems, fmt.Sprintf("co-partitioned group %q disagrees on partition count %v: every topic of a group needs the same count, or commands and events of one aggregate land on different owners", group, counts))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("%w:\n  %s", ErrMismatch, strings.Join(problems, "\n  "))
	}
	return nil
}

func topicConfig(tp Topic, replication int) kafka.TopicConfig {
	cfg := kafka.TopicConfig{Topic: tp.Name, NumPartitions: tp.Partitions, ReplicationFactor: replication}
	keys := make([]string, 0)
	for k := range tp.Retention.configs() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		cfg.ConfigEntries = append(cfg.ConfigEntries, kafka.ConfigEntry{ConfigName: k, ConfigValue: tp.Retention.configs()[k]})
	}
	return cfg
}

// partitionCounts asks a broker directly (not through kafka-go's Client,
// whose transport caches metadata for seconds and would not see topics it
// has just created) for every topic's partition count.
func partitionCounts(ctx context.Context, client *kafka.Client, connector *kafkaconn.Connector) (map[string]int, error) {
	var lastErr error
	for _, addr := range strings.Split(client.Addr.String(), ",") {
		dialer := connector.Dialer()
		dialer.Timeout = client.Timeout
		conn, err := dialer.DialContext(ctx, "tcp", addr)
		if err != nil {
			lastErr = connector.Explain(addr, err)
			continue
		}
		if dl, ok := ctx.Deadline(); ok {
			_ = conn.SetDeadline(dl)
		}
		parts, err := conn.ReadPartitions()
		conn.Close()
		if err != nil {
			lastErr = err
			continue
		}
		out := map[string]int{}
		for _, p := range parts {
			out[p.Topic]++
		}
		for _, p := range parts {
			// A partition without a leader cannot be written or read yet;
			// count the topic as incomplete so waitForTopics keeps waiting.
			if p.Leader.Host == "" || p.Leader.ID < 0 {
				out[p.Topic] = -1
			}
		}
		return out, nil
	}
	var authErr *kafkaconn.AuthError
	var tlsErr *kafkaconn.TLSError
	if errors.As(lastErr, &authErr) || errors.As(lastErr, &tlsErr) {
		return nil, lastErr // reached, and refused: not ErrUnreachable
	}
	var opErr *net.OpError
	if errors.As(lastErr, &opErr) || errors.Is(lastErr, context.DeadlineExceeded) {
		return nil, fmt.Errorf("%w at %s: %v (start it with deploy/stack.sh up, or set PAYCORE_KAFKA_BROKERS)", ErrUnreachable, client.Addr, lastErr)
	}
	return nil, fmt.Errorf("%w at %s: metadata request: %v", ErrUnreachable, client.Addr, lastErr)
}

// waitForTopics polls metadata until created topics show all partitions,
// each with a leader: creation is asynchronous in KRaft, and a client racing
// it gets UnknownTopicOrPartition or NotLeaderForPartition.
func waitForTopics(ctx context.Context, client *kafka.Client, connector *kafkaconn.Connector, created []kafka.TopicConfig) (map[string]int, error) {
	for {
		counts, err := partitionCounts(ctx, client, connector)
		if err != nil {
			return nil, err
		}
		ready := true
		for _, c := range created {
			if counts[c.Topic] != c.NumPartitions {
				ready = false
			}
		}
		if ready {
			return counts, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("topics not visible after creation: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
