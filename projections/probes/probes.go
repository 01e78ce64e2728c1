// Package probes projects diagnostic probes (events.ProbeSent) from Kafka
// into ClickHouse. `paycore probe` sends one and waits for its row: the
// quickest end-to-end check an operator has that the publisher, the broker,
// the consumer group, the projector and ClickHouse all work.
//
// It runs on watermill (router, recoverer, retry, poison queue) over our
// kafka-go Pub/Sub: probe traffic is tiny, so the per-message model costs
// nothing here, unlike on the payment hot path (services/processor).
package probes

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkapubsub"
)

// Projector inserts every probe it consumes into the probes table.
type Projector struct {
	conn     driver.Conn
	registry *events.Registry
}

// NewProjector returns a Projector writing through conn.
func NewProjector(conn driver.Conn, reg *events.Registry) *Projector {
	return &Projector{conn: conn, registry: reg}
}

// Handle is the watermill handler: decode, insert, ack. A record that is
// not a probe envelope returns an error; the router retries it a bounded
// number of times and then parks it on the poison topic with the reason.
func (p *Projector) Handle(msg *message.Message) error {
	env, err := events.Unmarshal(msg.Payload)
	if err != nil {
		return err
	}
	payload, err := p.registry.Decode(env)
	if err != nil {
		return err
	}
	probe, ok := payload.(events.ProbeSent)
	if !ok {
		return fmt.Errorf("probes: unexpected event %s", env.Type)
	}
	partition, offset := kafkapubsub.PartitionOffset(msg)
	// A one-row batch: INSERT ... VALUES with bound parameters is not
	// portable to old servers, the native batch protocol is.
	batch, err := p.conn.PrepareBatch(msg.Context(),
		"INSERT INTO probes (probe_id, note, amount, sent_at, projected_at, kafka_partition, kafka_offset)")
	if err != nil {
		return err
	}
	if err := batch.Append(probe.ProbeID, probe.Note, probe.Amount.Decimal(), probe.SentAt.UTC(), time.Now().UTC(),
		uint32(partition), uint64(offset)); err != nil {
		return err
	}
	return batch.Send()
}

// Router builds the watermill router that feeds the projector from topic,
// with a recoverer (a panic never kills the process), bounded retries, and
// a poison queue for what still fails.
func Router(p *Projector, sub message.Subscriber, pub message.Publisher, topic, poisonTopic string, logger watermill.LoggerAdapter) (*message.Router, error) {
	r, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, logger)
	if err != nil {
		return nil, err
	}
	poison, err := middleware.PoisonQueue(pub, poisonTopic)
	if err != nil {
		return nil, err
	}
	r.AddMiddleware(
		poison,
		middleware.Retry{MaxRetries: 3, InitialInterval: 100 * time.Millisecond, Logger: logger}.Middleware,
		middleware.Recoverer,
	)
	r.AddNoPublisherHandler("probes-to-clickhouse", topic, sub, p.Handle)
	return r, nil
}

// Wait polls ClickHouse until the probe's row is visible or ctx ends.
func Wait(ctx context.Context, conn driver.Conn, probeID string) (Row, error) {
	for {
		var row Row
		err := conn.QueryRow(ctx,
			"SELECT probe_id, toString(amount), sent_at, projected_at, kafka_partition, kafka_offset FROM probes FINAL WHERE probe_id = ?",
			probeID).Scan(&row.ProbeID, &row.Amount, &row.SentAt, &row.ProjectedAt, &row.Partition, &row.Offset)
		if err == nil {
			return row, nil
		}
		select {
		case <-ctx.Done():
			return Row{}, fmt.Errorf("probe %s not in ClickHouse: %w (last query: %v)", probeID, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Row is a probe as ClickHouse holds it.
type Row struct {
	ProbeID     string
	Amount      string
	SentAt      time.Time
	ProjectedAt time.Time
	Partition   uint32
	Offset      uint64
}
