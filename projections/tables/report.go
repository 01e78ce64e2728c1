package tables

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"
)

// ReportOptions chooses what WriteReport covers.
type ReportOptions struct {
	// Hours is the window: the hour containing Now and the Hours-1 hours
	// before it, by started_at (UTC). Default 24.
	Hours int
	// Top is how many reason codes to list. Default 10.
	Top int
	// Now ends the window. Default: the current time.
	Now time.Time
}

// DefaultReportHours and DefaultReportTop are the defaults of
// ReportOptions.
const (
	DefaultReportHours = 24
	DefaultReportTop   = 10
)

// codeUnknownTable is ClickHouse's UNKNOWN_TABLE error code.
const codeUnknownTable = 60

// WriteReport reads the transactions view over conn and writes terminal
// tables to w: payments and amounts by channel and status; per channel
// and per hour the final-status rates (shares of finished payments),
// presumed rates and latency p50/p99; and the most frequent reason codes.
// Hours without payments are not listed.
func WriteReport(ctx context.Context, conn driver.Conn, w io.Writer, opt ReportOptions) error {
	if opt.Hours <= 0 {
		opt.Hours = DefaultReportHours
	}
	if opt.Top <= 0 {
		opt.Top = DefaultReportTop
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	until := opt.Now.UTC().Truncate(time.Hour).Add(time.Hour)
	r := reporter{ctx: ctx, conn: conn, w: w,
		since: until.Add(-time.Duration(opt.Hours) * time.Hour), until: until}

	fmt.Fprintf(w, "paycore report: payments started %s to %s UTC (last %d hours)\n",
		r.since.Format("2006-01-02 15:04"), until.Add(-time.Second).Format("2006-01-02 15:04:05"), opt.Hours)
	n, err := r.byChannelAndStatus()
	if err != nil || n == 0 {
		if err == nil {
			fmt.Fprintln(w, "\nNo payments started in this window.")
		}
		return describe(err)
	}
	for _, section := range []func() error{r.byChannel, r.byHour, func() error { return r.reasons(opt.Top) }} {
		if err := section(); err != nil {
			return describe(err)
		}
	}
	return nil
}

// describe says what to do about a failed query, or returns nil.
func describe(err error) error {
	var ex *clickhouse.Exception
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ex) && ex.Code == codeUnknownTable:
		return fmt.Errorf("report: the database lacks paycore's tables or views; apply the migrations first (paycore migrate): %w", err)
	default:
		return fmt.Errorf("report: %w", err)
	}
}

type reporter struct {
	ctx          context.Context
	conn         driver.Conn
	w            io.Writer
	since, until time.Time
}

// window is the WHERE clause of every query; its two parameters are
// bound by args.
const window = "started_at >= toDateTime(?, 'UTC') AND started_at < toDateTime(?, 'UTC')"

func (r reporter) args(more ...any) []any {
	return append([]any{r.since.Format(time.DateTime), r.until.Format(time.DateTime)}, more...)
}

// table starts a section: a title and a tabwriter with the header.
func (r reporter) table(title string, header ...string) *tabwriter.Writer {
	fmt.Fprintf(r.w, "\n%s\n", title)
	tw := tabwriter.NewWriter(r.w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
	return tw
}

func row(tw io.Writer, cells ...string) {
	fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
}

// byChannelAndStatus writes the first section, unless the window has
// no payments; it returns how many rows it found.
func (r reporter) byChannelAndStatus() (int, error) {
	rows, err := r.conn.Query(r.ctx, `
SELECT channel_id, status, count(), sum(amount)
FROM transactions
WHERE `+window+`
GROUP BY channel_id, status
ORDER BY channel_id, status`, r.args()...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var lines [][]string
	for rows.Next() {
		var (
			channel, status string
			count           uint64
			amount          decimal.Decimal
		)
		if err := rows.Scan(&channel, &status, &count, &amount); err != nil {
			return 0, err
		}
		lines = append(lines, []string{channel, status, fmt.Sprint(count), amount.StringFixed(2)})
	}
	if err := rows.Err(); err != nil || len(lines) == 0 {
		return 0, err
	}
	tw := r.table("Payments by channel and status", "channel", "status", "payments", "amount")
	for _, l := range lines {
		row(tw, l...)
	}
	return len(lines), tw.Flush()
}

// stats is one row of the channel and hour sections.
type stats struct {
	payments, finished, success, failure, presumedSuccess, presumedFailure uint64
	amount                                                                 decimal.Decimal
	p50, p99                                                               float64
}

// statsColumns are the aggregates scanned into stats, in scan order.
const statsColumns = `count(), sum(amount), countIf(finished = 1),
    countIf(status = 'success'), countIf(status = 'failure'),
    countIf(status = 'presumed_success'), countIf(status = 'presumed_failure'),
    quantileIf(0.5)(toFloat64(ifNull(latency_ms, 0)), finished = 1),
    quantileIf(0.99)(toFloat64(ifNull(latency_ms, 0)), finished = 1)`

func (s *stats) dest() []any {
	return []any{&s.payments, &s.amount, &s.finished, &s.success, &s.failure,
		&s.presumedSuccess, &s.presumedFailure, &s.p50, &s.p99}
}

var statsHeader = []string{"payments", "amount", "finished", "pending", "success", "failure",
	"presumed_success", "presumed_failure", "presumed", "p50_ms", "p99_ms"}

func (s stats) cells() []string {
	return []string{
		fmt.Sprint(s.payments), s.amount.StringFixed(2), fmt.Sprint(s.finished), fmt.Sprint(s.payments - s.finished),
		s.rate(s.success), s.rate(s.failure), s.rate(s.presumedSuccess), s.rate(s.presumedFailure),
		s.rate(s.presumedSuccess + s.presumedFailure), millis(s.p50), millis(s.p99),
	}
}

// rate is n as a share of the finished payments.
func (s stats) rate(n uint64) string {
	if s.finished == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(s.finished))
}

func millis(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return fmt.Sprintf("%.0f", v)
}

func (r reporter) byChannel() error {
	rows, err := r.conn.Query(r.ctx, `
SELECT channel_id, `+statsColumns+`
FROM transactions
WHERE `+window+`
GROUP BY channel_id
ORDER BY channel_id`, r.args()...)
	if err != nil {
		return err
	}
	defer rows.Close()
	tw := r.table("Final statuses (share of finished payments) and latency by channel", append([]string{"channel"}, statsHeader...)...)
	for rows.Next() {
		var (
			channel string
			s       stats
		)
		if err := rows.Scan(append([]any{&channel}, s.dest()...)...); err != nil {
			return err
		}
		row(tw, append([]string{channel}, s.cells()...)...)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return tw.Flush()
}

func (r reporter) byHour() error {
	rows, err := r.conn.Query(r.ctx, `
SELECT toStartOfHour(started_at) AS hour, channel_id, `+statsColumns+`
FROM transactions
WHERE `+window+`
GROUP BY hour, channel_id
ORDER BY hour, channel_id`, r.args()...)
	if err != nil {
		return err
	}
	defer rows.Close()
	tw := r.table("By hour (UTC, by started_at) and channel", append([]string{"hour", "channel"}, statsHeader...)...)
	for rows.Next() {
		var (
			hour    time.Time
			channel string
			s       stats
		)
		if err := rows.Scan(append([]any{&hour, &channel}, s.dest()...)...); err != nil {
			return err
		}
		row(tw, append([]string{hour.UTC().Format("2006-01-02 15:04"), channel}, s.cells()...)...)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return tw.Flush()
}

func (r reporter) reasons(top int) error {
	rows, err := r.conn.Query(r.ctx, `
SELECT reason_code, status, count() AS n, sum(amount)
FROM transactions
WHERE `+window+` AND reason_code != ''
GROUP BY reason_code, status
ORDER BY n DESC, reason_code, status
LIMIT ?`, r.args(top)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	tw := r.table(fmt.Sprintf("Top %d reason codes", top), "reason_code", "status", "payments", "amount")
	for rows.Next() {
		var (
			reason, status string
			count          uint64
			amount         decimal.Decimal
		)
		if err := rows.Scan(&reason, &status, &count, &amount); err != nil {
			return err
		}
		row(tw, reason, status, fmt.Sprint(count), amount.StringFixed(2))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return tw.Flush()
}
