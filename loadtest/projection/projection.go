// Package projection measures the ClickHouse projector against raw
// clickhouse-go batched inserts of the same rows, in the same run, on the
// same server.
package projection

import (
	"context"
	"fmt"
	"github.com/paycore/paycore/loadtest/internal/scratch"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/projections/chconn"
	"github.com/paycore/paycore/projections/projector"
	"github.com/paycore/paycore/projections/tables"
	"github.com/segmentio/kafka-go"
)

// Config describes one run.
type Config struct {
	Brokers []string
	// Connector authenticates and encrypts the Kafka connections; nil is
	// plaintext.
	Connector  *kafkaconn.Connector
	ClickHouse chconn.Config
	Topic      string // a fresh topic
	Partitions int
	Events     int // payment.started events
	BatchRows  int // rows per raw insert batch and the projector's MaxRows
}

// Result holds both rates of one run.
type Result struct {
	Rows              int
	RawElapsed        time.Duration
	ProjectorElapsed  time.Duration
	ProjectorRecords  int64
	ProjectorRowsSeen int64
}

// RawRowsPerSecond is clickhouse-go PrepareBatch/Append/Send of the rows.
func (r Result) RawRowsPerSecond() float64 { return float64(r.Rows) / r.RawElapsed.Seconds() }

// ProjectorRowsPerSecond is Kafka read + decode + map + insert of the same.
func (r Result) ProjectorRowsPerSecond() float64 {
	return float64(r.ProjectorRowsSeen) / r.ProjectorElapsed.Seconds()
}

// Run produces the events, inserts their rows raw into one database and
// replays them through the projector into another, timing both.
func Run(ctx context.Context, cfg Config) (Result, error) {
	reg := events.Catalog()
	envs, err := syntheticPayments(reg, cfg.Events)
	if err != nil {
		return Result{}, err
	}
	if err := produce(ctx, cfg, envs); err != nil {
		return Result{}, err
	}
	stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
	rawConn, dropRaw, err := scratch.Database(ctx, cfg.ClickHouse, "loadtest_raw_"+stamp)
	if err != nil {
		return Result{}, err
	}
	defer dropRaw()
	projConn, dropProj, err := scratch.Database(ctx, cfg.ClickHouse, "loadtest_proj_"+stamp)
	if err != nil {
		return Result{}, err
	}
	defer dropProj()

	// Raw baseline: the very rows the mapper makes, in BatchRows batches.
	var mapper tables.Mapper
	var rows [][]any
	for i, env := range envs {
		p, _ := reg.DecodeOwn(env)
		out, err := mapper.Map(env, p, projector.Source{Topic: cfg.Topic, Partition: 0, Offset: int64(i), ProjectedAt: time.Now().UTC().Truncate(time.Second)})
		if err != nil {
			return Result{}, err
		}
		for _, r := range out {
			rows = append(rows, r.Values)
		}
	}
	cols := ""
	for i, c := range tableColumns(tables.Payments) {
		if i > 0 {
			cols += ", "
		}
		cols += c
	}
	start := time.Now()
	for i := 0; i < len(rows); i += cfg.BatchRows {
		batch, err := rawConn.PrepareBatch(ctx, "INSERT INTO payments ("+cols+")")
		if err != nil {
			return Result{}, err
		}
		for _, r := range rows[i:min(i+cfg.BatchRows, len(rows))] {
			if err := batch.Append(r...); err != nil {
				return Result{}, err
			}
		}
		if err := batch.Send(); err != nil {
			return Result{}, err
		}
	}
	res := Result{Rows: len(rows), RawElapsed: time.Since(start)}

	start = time.Now()
	stats, err := projector.Replay(ctx, projector.Config{
		Name: "loadtest", Brokers: cfg.Brokers, Connector: cfg.Connector, Topics: []string{cfg.Topic}, Conn: projConn,
		Mapper: mapper, Registry: reg, MaxRows: cfg.BatchRows, MaxDelay: time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return Result{}, err
	}
	res.ProjectorElapsed, res.ProjectorRecords, res.ProjectorRowsSeen = time.Since(start), stats.Records, stats.Rows
	return res, nil
}

func tableColumns(name string) []string {
	for _, t := range tables.Tables() {
		if t.Name == name {
			return t.Columns
		}
	}
	panic("no table " + name)
}

// syntheticPayments builds n payment.started envelopes like the saga's.
func syntheticPayments(reg *events.Registry, n int) ([]events.Envelope, error) {
	at := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
	out := make([]events.Envelope, n)
	for i := range out {
		txn := events.DeriveID("loadtest", strconv.Itoa(i))
		req := events.StartPayment{
			TxnID: txn, ChannelID: "CH" + strconv.Itoa(i%17), OrderID: "order-" + strconv.Itoa(i), IdempotencyKey: "k-" + strconv.Itoa(i),
			BodyHash: "h", AgreementNo: "NUAAAAAAAAAAAAAAAAAAAAAAAAAAAA", PayerKey: "AAAAAAAAAAAAAAAA", ReserveAccount: "RSV-CH" + strconv.Itoa(i%17),
			Amount: events.CNY(fmt.Sprintf("%d.%02d", 1+i%5000, i%100)),
		}
		t := at.Add(time.Duration(i) * time.Millisecond)
		env, err := reg.New(txn, 1, events.PaymentStarted{Request: req, Deadline: t.Add(2 * time.Second), FinalDeadline: t.Add(10 * time.Second)},
			events.Meta{ID: events.DeriveID(txn, "started"), CorrelationID: txn, CausationID: txn, OccurredAt: t})
		if err != nil {
			return nil, err
		}
		out[i] = env
	}
	return out, nil
}

func produce(ctx context.Context, cfg Config, envs []events.Envelope) error {
	client := &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Timeout: 10 * time.Second, Transport: cfg.Connector.Transport()}
	if _, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: cfg.Topic, NumPartitions: cfg.Partitions, ReplicationFactor: 1}}}); err != nil {
		return err
	}
	time.Sleep(time.Second) // leaders elected
	w := &kafka.Writer{Addr: kafka.TCP(cfg.Brokers...), Transport: cfg.Connector.Transport(), Topic: cfg.Topic, Balancer: &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll, BatchSize: 5000, BatchBytes: 8 << 20, BatchTimeout: 5 * time.Millisecond}
	defer w.Close()
	msgs := make([]kafka.Message, 0, 5000)
	for i, env := range envs {
		b, err := events.Marshal(env)
		if err != nil {
			return err
		}
		msgs = append(msgs, kafka.Message{Key: []byte(env.AggregateID), Value: b})
		if len(msgs) == cap(msgs) || i == len(envs)-1 {
			if err := w.WriteMessages(ctx, msgs...); err != nil {
				return err
			}
			msgs = msgs[:0]
		}
	}
	return nil
}
