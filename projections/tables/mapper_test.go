package tables

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/projections/projector"
	"github.com/paycore/paycore/schemas"
)

// The fixture: an event that happened at 16:30:05.123 UTC on 1 March
// 2026, which is already 2 March in Beijing.
var (
	occurred  = time.Date(2026, 3, 1, 16, 30, 5, 123_000_000, time.UTC)
	projected = time.Date(2026, 3, 1, 16, 30, 7, 900_000_000, time.UTC)
	source    = projector.Source{Topic: "paycore.saga.events", Partition: 3, Offset: 42, ProjectedAt: projected}
)

// windowStart is the start of the fixture's clearing window: 23:00 in
// Beijing, the first window of clearing day 2 March.
var windowStart = time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

const (
	batch    = "B20260302-2300"
	txn      = "5f0c1f43-0d2e-8a51-9a3e-2b8f7e0c1d11"
	eventID  = "0b9a3c1e-7d44-8f21-a0b1-6c5d4e3f2a10"
	payerKey = "ABCDEFGHIJKLMNOP"
	agrNo    = "NUABCDEFGHIJKLMNOPQRSTUVWXYZ23"
)

func envelope(p events.Payload, aggregate string, seq uint64) events.Envelope {
	return events.Envelope{
		ID: eventID, Type: p.EventType(), Version: p.EventVersion(), AggregateID: aggregate, Sequence: seq,
		CorrelationID: aggregate, CausationID: aggregate, OccurredAt: occurred, Payload: []byte(`{}`),
	}
}

// cells returns a row as column -> value text, checking it has exactly
// its table's columns. Decimals show two decimals; times must be UTC
// whole seconds.
func cells(t *testing.T, row projector.Row) map[string]string {
	t.Helper()
	var cols []string
	for _, tb := range Tables() {
		if tb.Name == row.Table {
			cols = tb.Columns
		}
	}
	if cols == nil {
		t.Fatalf("row for unknown table %q", row.Table)
	}
	if len(cols) != len(row.Values) {
		t.Fatalf("%s row has %d values for %d columns", row.Table, len(row.Values), len(cols))
	}
	out := map[string]string{}
	for i, c := range cols {
		switch v := row.Values[i].(type) {
		case decimal.Decimal:
			out[c] = v.StringFixed(2)
		case time.Time:
			if v.Location() != time.UTC || v.Nanosecond() != 0 {
				t.Errorf("%s.%s = %v, want UTC whole seconds", row.Table, c, v)
			}
			out[c] = v.Format(time.DateTime)
		default:
			out[c] = fmt.Sprint(v)
		}
	}
	return out
}

// provenanceCells are the provenance columns every row of the fixture has.
func provenanceCells(seq string) map[string]string {
	return map[string]string{
		"event_id": eventID, "sequence": seq, "source_topic": "paycore.saga.events",
		"source_partition": "3", "source_offset": "42", "projected_at": "2026-03-01 16:30:07",
	}
}

func with(base map[string]string, more map[string]string) map[string]string {
	out := maps.Clone(base)
	maps.Copy(out, more)
	return out
}

func TestMapEveryProjectedEvent(t *testing.T) {
	tests := []struct {
		name      string
		p         events.Payload
		aggregate string
		table     string
		want      map[string]string
	}{
		{
			name: "payment.started",
			p: events.PaymentStarted{
				Request: events.StartPayment{
					TxnID: txn, ChannelID: "alipay", OrderID: "order-1", IdempotencyKey: "key-1", BodyHash: "h",
					AgreementNo: agrNo, PayerKey: payerKey, ReserveAccount: "RSV-alipay", Amount: events.CNY("1234.50"),
				},
				Deadline:      occurred.Add(2 * time.Second),
				FinalDeadline: occurred.Add(30 * time.Second),
			},
			aggregate: txn, table: Payments,
			want: map[string]string{
				"txn_id": txn, "channel_id": "alipay", "order_id": "order-1", "idempotency_key": "key-1",
				"agreement_no": agrNo, "payer_key": payerKey, "reserve_account": "RSV-alipay", "amount": "1234.50",
				"started_at": "2026-03-01 16:30:05", "started_at_ms": "1772382605123", "final_deadline": "2026-03-01 16:30:35",
			},
		},
		{
			name: "payment.started without a final deadline",
			p: events.PaymentStarted{Request: events.StartPayment{
				TxnID: txn, ChannelID: "alipay", OrderID: "order-1", IdempotencyKey: "key-1",
				AgreementNo: agrNo, PayerKey: payerKey, ReserveAccount: "RSV-alipay", Amount: events.CNY("0.01"),
			}},
			aggregate: txn, table: Payments,
			want: map[string]string{
				"txn_id": txn, "channel_id": "alipay", "order_id": "order-1", "idempotency_key": "key-1",
				"agreement_no": agrNo, "payer_key": payerKey, "reserve_account": "RSV-alipay", "amount": "0.01",
				"started_at": "2026-03-01 16:30:05", "started_at_ms": "1772382605123", "final_deadline": "1970-01-01 00:00:00",
			},
		},
		{
			name: "payment.finished",
			p: events.PaymentFinished{TxnID: txn, Status: events.StatusPresumedSuccess, ReasonCode: events.ReasonReserveLegUnknown,
				PayerDebited: "yes", ReserveCredited: "unknown"},
			aggregate: txn, table: PaymentResults,
			want: map[string]string{
				"txn_id": txn, "status": "presumed_success", "reason_code": "reserve_leg_unknown",
				"payer_debited": "yes", "reserve_credited": "unknown",
				"finished_at": "2026-03-01 16:30:05", "finished_at_ms": "1772382605123",
			},
		},
		{
			name:      "payer.payer_debited",
			p:         events.PayerDebited{TxnID: txn, AgreementNo: agrNo, Amount: events.CNY("99.99"), BalanceAfter: events.CNY("900.01"), Day: "2026-03-02"},
			aggregate: payerKey, table: PayerLegs,
			want: map[string]string{
				"txn_id": txn, "kind": "debited", "payer_key": payerKey, "agreement_no": agrNo, "amount": "99.99",
				"reason_code": "", "day": "2026-03-02 00:00:00", "at": "2026-03-01 16:30:05",
			},
		},
		{
			name:      "payer.payer_debited without a day counts the Beijing date",
			p:         events.PayerDebited{TxnID: txn, AgreementNo: agrNo, Amount: events.CNY("5"), BalanceAfter: events.CNY("0")},
			aggregate: payerKey, table: PayerLegs,
			want: map[string]string{
				"txn_id": txn, "kind": "debited", "payer_key": payerKey, "agreement_no": agrNo, "amount": "5.00",
				"reason_code": "", "day": "2026-03-02 00:00:00", "at": "2026-03-01 16:30:05",
			},
		},
		{
			name:      "payer.payer_debit_refused",
			p:         events.PayerDebitRefused{TxnID: txn, ReasonCode: events.ReasonInsufficientFunds},
			aggregate: payerKey, table: PayerLegs,
			want: map[string]string{
				"txn_id": txn, "kind": "refused", "payer_key": payerKey, "agreement_no": "", "amount": "0.00",
				"reason_code": "insufficient_funds", "day": "2026-03-02 00:00:00", "at": "2026-03-01 16:30:05",
			},
		},
		{
			name:      "payer.payer_debit_reversed",
			p:         events.PayerDebitReversed{TxnID: txn, Amount: events.CNY("99.99"), BalanceAfter: events.CNY("1000.00")},
			aggregate: payerKey, table: PayerLegs,
			want: map[string]string{
				"txn_id": txn, "kind": "reversed", "payer_key": payerKey, "agreement_no": "", "amount": "99.99",
				"reason_code": "", "day": "2026-03-02 00:00:00", "at": "2026-03-01 16:30:05",
			},
		},
		{
			name:      "reserve.reserve_credited",
			p:         events.ReserveCredited{TxnID: txn, ReserveAccount: "RSV-alipay", ChannelID: "alipay", Amount: events.CNY("99.99")},
			aggregate: txn, table: ReserveLegs,
			want: map[string]string{
				"txn_id": txn, "kind": "credited", "reserve_account": "RSV-alipay", "channel_id": "alipay",
				"amount": "99.99", "reason_code": "", "at": "2026-03-01 16:30:05",
			},
		},
		{
			name:      "reserve.reserve_credit_refused",
			p:         events.ReserveCreditRefused{TxnID: txn, ReasonCode: events.ReasonReserveAccountClosed},
			aggregate: txn, table: ReserveLegs,
			want: map[string]string{
				"txn_id": txn, "kind": "refused", "reserve_account": "", "channel_id": "",
				"amount": "0.00", "reason_code": "reserve_account_closed", "at": "2026-03-01 16:30:05",
			},
		},
		{
			name: "payer.agreement_signed",
			p: events.AgreementSigned{SigningID: "sig-1", AgreementNo: agrNo, ChannelID: "alipay", PayerKey: payerKey,
				PerPaymentLimit: events.CNY("500"), DailyLimit: events.CNY("2000.5")},
			aggregate: payerKey, table: Agreements,
			want: map[string]string{
				"agreement_no": agrNo, "status": "active", "channel_id": "alipay", "payer_key": payerKey,
				"signing_id": "sig-1", "per_payment_limit": "500.00", "daily_limit": "2000.50", "at": "2026-03-01 16:30:05",
			},
		},
		{
			name: "payer.agreement_imported is active without a signing",
			p: events.AgreementImported{AgreementNo: agrNo, LegacyNo: "2018052100000000000000000000000000001", ImportID: "imp-1",
				ChannelID: "alipay", PayerKey: payerKey, PerPaymentLimit: events.CNY("300"), DailyLimit: events.CNY("900.1"), SignedOn: "2016-05-04"},
			aggregate: payerKey, table: Agreements,
			want: map[string]string{
				"agreement_no": agrNo, "status": "active", "channel_id": "alipay", "payer_key": payerKey,
				"signing_id": "", "per_payment_limit": "300.00", "daily_limit": "900.10", "at": "2026-03-01 16:30:05",
			},
		},
		{
			name:      "payer.agreement_terminated takes the payer key from its aggregate",
			p:         events.AgreementTerminated{AgreementNo: agrNo, RequestID: "req-1", BodyHash: "h"},
			aggregate: payerKey, table: Agreements,
			want: map[string]string{
				"agreement_no": agrNo, "status": "terminated", "channel_id": "", "payer_key": payerKey,
				"signing_id": "", "per_payment_limit": "0.00", "daily_limit": "0.00", "at": "2026-03-01 16:30:05",
			},
		},
		{
			name: "payer.account_opened masks the account and drops personal data",
			p: events.AccountOpened{PayerKey: payerKey, Account: "6222020200112230001", Holder: events.AccountHolder{Name: "张三",
				IDType: events.IDTypeResidentID, IDNumber: "110101199003071234", Phone: "13800138000"}, OpeningBalance: events.CNY("10000")},
			aggregate: payerKey, table: CustomerAccounts,
			want: map[string]string{
				"payer_key": payerKey, "account_masked": "622202*********0001", "opening_balance": "10000.00",
				"opened_at": "2026-03-01 16:30:05",
			},
		},
		{
			name: "clearing.batch_closed",
			p: events.BatchClosed{BatchID: batch, WindowStart: windowStart, WindowEnd: windowStart.Add(time.Hour),
				Payments: 12, SettledAmount: events.CNY("1500.25"), ClosedAt: occurred.Add(-time.Second)},
			aggregate: batch, table: ClearingBatches,
			want: map[string]string{
				"batch_id": batch, "window_start": "2026-03-01 15:00:00", "window_end": "2026-03-01 16:00:00",
				"payments": "12", "settled_amount": "1500.25", "closed_at": "2026-03-01 16:30:04",
			},
		},
		{
			name: "clearing.settlement_instructed",
			p: events.SettlementInstructed{BatchID: batch, InstructionID: "ins-1", FromBank: "PAYER-BANK", ToBank: "RESERVE-BANK",
				ReserveAccount: "RSV-alipay", Amount: events.CNY("1000")},
			aggregate: batch, table: SettlementInstructions,
			want: map[string]string{
				"batch_id": batch, "instruction_id": "ins-1", "from_bank": "PAYER-BANK", "to_bank": "RESERVE-BANK",
				"reserve_account": "RSV-alipay", "amount": "1000.00", "at": "2026-03-01 16:30:05",
			},
		},
		{
			name: "reconciliation.discrepancy_found with both sides",
			p: events.DiscrepancyFound{BatchID: batch, Bank: events.BankPayer, TxnID: txn, Class: events.DiffStatus,
				OurStatus: events.StatusPresumedFailure, OurAmount: ptr(events.CNY("99.99")),
				TheirStatus: "debited", TheirAmount: ptr(events.CNY("99.99")), Action: events.ActionRefundCustomer},
			aggregate: batch, table: ReconciliationDiscrepancies,
			want: map[string]string{
				"batch_id": batch, "bank": "payer", "txn_id": txn, "class": "status_differs", "action": "refund_customer",
				"our_status": "presumed_failure", "our_amount": "99.99", "their_status": "debited", "their_amount": "99.99",
				"at": "2026-03-01 16:30:05",
			},
		},
		{
			name: "reconciliation.discrepancy_found only on the bank's side",
			p: events.DiscrepancyFound{BatchID: batch, Bank: events.BankReserve, TxnID: txn, Class: events.DiffOnlyTheirs,
				TheirStatus: "credited", TheirAmount: ptr(events.CNY("5"))},
			aggregate: batch, table: ReconciliationDiscrepancies,
			want: map[string]string{
				"batch_id": batch, "bank": "reserve", "txn_id": txn, "class": "only_theirs", "action": "",
				"our_status": "", "our_amount": "0.00", "their_status": "credited", "their_amount": "5.00",
				"at": "2026-03-01 16:30:05",
			},
		},
		{
			name:      "reconciliation.batch_reconciled",
			p:         events.BatchReconciled{BatchID: batch, Bank: events.BankReserve, Matched: 40, Discrepancies: 3},
			aggregate: batch, table: BatchReconciliations,
			want: map[string]string{
				"batch_id": batch, "bank": "reserve", "matched": "40", "discrepancies": "3", "at": "2026-03-01 16:30:05",
			},
		},
		{
			name: "payment.correction_started",
			p: events.PaymentCorrectionStarted{TxnID: txn, Action: events.ActionCreditReserve, BatchID: batch,
				DiscrepancyID: eventID},
			aggregate: txn, table: PaymentCorrections,
			want: map[string]string{
				"txn_id": txn, "stage": "started", "action": "credit_reserve", "batch_id": batch,
				"discrepancy_id": eventID, "amount": "0.00", "at": "2026-03-01 16:30:05",
			},
		},
		{
			name:      "payment.corrected",
			p:         events.PaymentCorrected{TxnID: txn, Action: events.ActionRefundCustomer, Amount: events.CNY("99.99")},
			aggregate: txn, table: PaymentCorrections,
			want: map[string]string{
				"txn_id": txn, "stage": "corrected", "action": "refund_customer", "batch_id": "",
				"discrepancy_id": "", "amount": "99.99", "at": "2026-03-01 16:30:05",
			},
		},
		{
			name: "reserve.summary_posted",
			p: events.ReserveSummaryPosted{ReserveAccount: "RSV-alipay", BatchID: batch, Amount: events.CNY("300.5"),
				Credits: 3, BalanceAfter: events.CNY("10300.50")},
			aggregate: "RSV-alipay", table: ReservePostings,
			want: map[string]string{
				"reserve_account": "RSV-alipay", "batch_id": batch, "amount": "300.50", "credits": "3",
				"balance_after": "10300.50", "at": "2026-03-01 16:30:05",
			},
		},
		{
			name: "legacy.agreement_mapped",
			p: events.AgreementMapped{LegacyNo: "2018052100000000000000000000000000001", AgreementNo: agrNo, ChannelID: "alipay",
				PayerKey: payerKey, ImportID: "imp-1", Reason: events.MappingExceedsField},
			aggregate: "2018052100000000000000000000000000001", table: LegacyMappings,
			want: map[string]string{
				"legacy_no": "2018052100000000000000000000000000001", "agreement_no": agrNo, "channel_id": "alipay",
				"payer_key": payerKey, "import_id": "imp-1", "reason": "exceeds_field", "mapped_at": "2026-03-01 16:30:05",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := Mapper{}.Map(envelope(tt.p, tt.aggregate, 7), tt.p, source)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || rows[0].Table != tt.table {
				t.Fatalf("Map = %+v, want one %s row", rows, tt.table)
			}
			got := cells(t, rows[0])
			want := with(tt.want, provenanceCells("7"))
			if !maps.Equal(got, want) {
				for _, c := range slices.Sorted(maps.Keys(want)) {
					if got[c] != want[c] {
						t.Errorf("%s = %q, want %q", c, got[c], want[c])
					}
				}
			}
			again, err := Mapper{}.Map(envelope(tt.p, tt.aggregate, 7), tt.p, source)
			if err != nil || !maps.Equal(cells(t, again[0]), got) {
				t.Errorf("Map is not deterministic: %v, %v", again, err)
			}
		})
	}
}

// TestMapReplayChangesOnlyProvenance: a replay read elsewhere (another
// offset, later) maps to the same key, version and data, so the table's
// ReplacingMergeTree collapses the two copies.
func TestMapReplayChangesOnlyProvenance(t *testing.T) {
	p := events.PaymentFinished{TxnID: txn, Status: events.StatusSuccess, PayerDebited: "yes", ReserveCredited: "yes"}
	env := envelope(p, txn, 5)
	first, err := Mapper{}.Map(env, p, source)
	if err != nil {
		t.Fatal(err)
	}
	replay := projector.Source{Topic: "paycore.saga.events.mirror", Partition: 0, Offset: 9000, ProjectedAt: projected.Add(time.Hour)}
	second, err := Mapper{}.Map(env, p, replay)
	if err != nil {
		t.Fatal(err)
	}
	a, b := cells(t, first[0]), cells(t, second[0])
	for c := range a {
		changes := c == "source_topic" || c == "source_partition" || c == "source_offset" || c == "projected_at"
		if (a[c] != b[c]) != changes {
			t.Errorf("%s: %q then %q; only the source columns may differ", c, a[c], b[c])
		}
	}
}

func TestMapIgnoresOtherEvents(t *testing.T) {
	for _, p := range []events.Payload{
		events.StartPayment{TxnID: txn, Amount: events.CNY("1")},
		events.PaymentStepChanged{TxnID: txn, Step: events.StepAwaitPayer},
		events.PaymentDuplicateRejected{TxnID: txn},
		events.SigningFinished{SigningID: "s", Status: "signed"},
		events.DebitPayer{TxnID: txn, Amount: events.CNY("1")},
		events.OpenAccount{PayerKey: payerKey, Account: "6222020200112230001"},
		events.DebitStatusReported{TxnID: txn, Status: events.LegDone},
		events.CreditReserve{TxnID: txn, Amount: events.CNY("1")},
		events.TerminationRefused{AgreementNo: agrNo},
		events.ProbeSent{ProbeID: "p"},
		events.CorrectPayment{TxnID: txn, BatchID: batch, Action: events.ActionRefundCustomer, DiscrepancyID: eventID},
		events.PostReserveSummary{ReserveAccount: "RSV-alipay", BatchID: batch, Amount: events.CNY("1"), Credits: 1},
		nil,
	} {
		var env events.Envelope
		if p != nil {
			env = envelope(p, txn, 1)
		}
		rows, err := Mapper{}.Map(env, p, source)
		if rows != nil || err != nil {
			t.Errorf("Map(%T) = %v, %v; want nil, nil", p, rows, err)
		}
	}
}

func TestMapRefusesWhatItCannotProject(t *testing.T) {
	started := func(mod func(*events.PaymentStarted)) events.PaymentStarted {
		p := events.PaymentStarted{Request: events.StartPayment{TxnID: txn, ChannelID: "alipay", Amount: events.CNY("1")}}
		if mod != nil {
			mod(&p)
		}
		return p
	}
	okEnv := fixtureEnv(envelope(started(nil), txn, 1))
	tests := []struct {
		name string
		env  fixtureEnv
		p    events.Payload
		src  projector.Source
		want string
	}{
		{"unset amount", okEnv, started(func(p *events.PaymentStarted) { p.Request.Amount = events.Money{} }), source, "amount is not set"},
		{"empty txn_id", okEnv, started(func(p *events.PaymentStarted) { p.Request.TxnID = "" }), source, "txn_id is empty"},
		{"empty status", fixtureEnv(envelope(events.PaymentFinished{TxnID: txn}, txn, 2)), events.PaymentFinished{TxnID: txn}, source, "status is empty"},
		{"empty agreement number", fixtureEnv(envelope(events.AgreementTerminated{}, payerKey, 2)), events.AgreementTerminated{}, source, "agreement_no is empty"},
		{"mapping without legacy number", fixtureEnv(envelope(events.AgreementMapped{}, "L1", 1)),
			events.AgreementMapped{AgreementNo: agrNo}, source, "legacy_no is empty"},
		{"import without limits", fixtureEnv(envelope(events.AgreementImported{}, payerKey, 2)),
			events.AgreementImported{AgreementNo: agrNo}, source, "per_payment_limit is not set"},
		{"unset limit", fixtureEnv(envelope(events.AgreementSigned{}, payerKey, 2)),
			events.AgreementSigned{AgreementNo: agrNo, PerPaymentLimit: events.CNY("1")}, source, "daily_limit is not set"},
		{"payload of another type", fixtureEnv(envelope(events.PaymentFinished{}, txn, 1)), started(nil), source, "payload is payment.started but the envelope says payment.finished"},
		{"no occurred_at", okEnv.at(time.Time{}), started(nil), source, "occurred_at"},
		{"occurred_at beyond DateTime", okEnv.at(time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)), started(nil), source,
			"outside ClickHouse DateTime's range"},
		{"final deadline before 1970", okEnv, started(func(p *events.PaymentStarted) { p.FinalDeadline = time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC) }),
			source, "final_deadline"},
		{"malformed day", fixtureEnv(envelope(events.PayerDebited{}, payerKey, 3)),
			events.PayerDebited{TxnID: txn, Amount: events.CNY("1"), Day: "2026-3-1"}, source, `day "2026-3-1" is not a date`},
		{"negative offset", okEnv, started(nil), projector.Source{Offset: -1, ProjectedAt: projected}, "offset -1"},
		{"partition beyond UInt32", okEnv, started(nil), projector.Source{Partition: math.MaxUint32 + 1, ProjectedAt: projected}, "partition"},
		{"no projected_at", okEnv, started(nil), projector.Source{}, "projected_at"},
		{"negative payment count", fixtureEnv(envelope(events.BatchClosed{}, batch, 1)),
			events.BatchClosed{BatchID: batch, WindowStart: windowStart, WindowEnd: windowStart, Payments: -1,
				SettledAmount: events.CNY("0"), ClosedAt: occurred}, source, "payments -1 is negative"},
		{"batch without settled amount", fixtureEnv(envelope(events.BatchClosed{}, batch, 1)),
			events.BatchClosed{BatchID: batch, WindowStart: windowStart, WindowEnd: windowStart, ClosedAt: occurred},
			source, "settled_amount is not set"},
		{"batch without window", fixtureEnv(envelope(events.BatchClosed{}, batch, 1)),
			events.BatchClosed{BatchID: batch, SettledAmount: events.CNY("0"), ClosedAt: occurred}, source, "window_start"},
		{"discrepancy without class", fixtureEnv(envelope(events.DiscrepancyFound{}, batch, 2)),
			events.DiscrepancyFound{BatchID: batch, Bank: "payer", TxnID: txn}, source, "class is empty"},
		{"discrepancy with an unset amount", fixtureEnv(envelope(events.DiscrepancyFound{}, batch, 2)),
			events.DiscrepancyFound{BatchID: batch, Bank: "payer", TxnID: txn, Class: events.DiffOnlyOurs, OurAmount: &events.Money{}},
			source, "our_amount is not set"},
		{"instruction without ID", fixtureEnv(envelope(events.SettlementInstructed{}, batch, 2)),
			events.SettlementInstructed{BatchID: batch, Amount: events.CNY("1")}, source, "instruction_id is empty"},
		{"correction without action", fixtureEnv(envelope(events.PaymentCorrected{}, txn, 9)),
			events.PaymentCorrected{TxnID: txn, Amount: events.CNY("1")}, source, "action is empty"},
		{"correction without amount", fixtureEnv(envelope(events.PaymentCorrected{}, txn, 9)),
			events.PaymentCorrected{TxnID: txn, Action: events.ActionRefundCustomer}, source, "amount is not set"},
		{"posting without balance", fixtureEnv(envelope(events.ReserveSummaryPosted{}, "RSV-alipay", 3)),
			events.ReserveSummaryPosted{ReserveAccount: "RSV-alipay", BatchID: batch, Amount: events.CNY("1"), Credits: 1},
			source, "balance_after is not set"},
		{"no event id", func() fixtureEnv { e := okEnv; e.ID = ""; return e }(), started(nil), source, "event id is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := Mapper{}.Map(events.Envelope(tt.env), tt.p, tt.src)
			if err == nil || !errors.Is(err, ErrUnmappable) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Map = %v, %v; want ErrUnmappable mentioning %q", rows, err, tt.want)
			}
			if rows != nil {
				t.Errorf("Map returned rows with its error: %v", rows)
			}
		})
	}
}

// TestTablesMatchMigrations reads the CREATE TABLE statements of the
// shipped migrations and checks that every table of Tables lists all of
// its columns in order, and that Map's values have the Go types the
// driver needs for them.
func TestTablesMatchMigrations(t *testing.T) {
	schema := migrationColumns(t)
	goType := map[string]reflect.Type{
		"String":          reflect.TypeFor[string](),
		"Decimal(18, 2)":  reflect.TypeFor[decimal.Decimal](),
		"DateTime('UTC')": reflect.TypeFor[time.Time](),
		"Date":            reflect.TypeFor[time.Time](),
		"UInt64":          reflect.TypeFor[uint64](),
		"UInt32":          reflect.TypeFor[uint32](),
	}
	samples := map[string]events.Payload{
		Payments:         events.PaymentStarted{Request: events.StartPayment{TxnID: txn, Amount: events.CNY("1")}},
		PaymentResults:   events.PaymentFinished{TxnID: txn, Status: events.StatusSuccess},
		PayerLegs:        events.PayerDebitRefused{TxnID: txn},
		ReserveLegs:      events.ReserveCreditRefused{TxnID: txn},
		Agreements:       events.AgreementTerminated{AgreementNo: agrNo},
		CustomerAccounts: events.AccountOpened{PayerKey: payerKey, OpeningBalance: events.CNY("1")},
		ClearingBatches: events.BatchClosed{BatchID: batch, WindowStart: windowStart, WindowEnd: windowStart.Add(time.Hour),
			SettledAmount: events.CNY("1"), ClosedAt: occurred},
		SettlementInstructions:      events.SettlementInstructed{BatchID: batch, InstructionID: "i", Amount: events.CNY("1")},
		ReconciliationDiscrepancies: events.DiscrepancyFound{BatchID: batch, Bank: "payer", TxnID: txn, Class: events.DiffOnlyOurs},
		BatchReconciliations:        events.BatchReconciled{BatchID: batch, Bank: "payer"},
		PaymentCorrections:          events.PaymentCorrected{TxnID: txn, Action: events.ActionCreditReserve, Amount: events.CNY("1")},
		ReservePostings: events.ReserveSummaryPosted{ReserveAccount: "RSV-alipay", BatchID: batch, Amount: events.CNY("1"),
			BalanceAfter: events.CNY("1")},
		LegacyMappings: events.AgreementMapped{LegacyNo: "L1", AgreementNo: agrNo},
		Refunds: events.RefundStarted{Request: events.StartRefund{RefundID: "r1", TxnID: txn, Amount: events.CNY("1")},
			ReserveAccount: "RSV-alipay", SubAccount: "RSV-alipay#3"},
		RefundResults: events.RefundFinished{RefundID: "r1", Status: events.StatusSuccess},
		RefundLegs:    events.ReserveDebited{RefundID: "r1", TxnID: txn, SubAccount: "RSV-alipay#3", Amount: events.CNY("1")},
	}
	var names []string
	for _, tb := range (Mapper{}).Tables() {
		names = append(names, tb.Name)
		cols := schema[tb.Name]
		var sqlNames []string
		for _, c := range cols {
			sqlNames = append(sqlNames, c.name)
		}
		if !slices.Equal(sqlNames, tb.Columns) {
			t.Errorf("%s: Tables() columns %v, migrations %v", tb.Name, tb.Columns, sqlNames)
			continue
		}
		p := samples[tb.Name]
		rows, err := Mapper{}.Map(envelope(p, payerKey, 1), p, source)
		if err != nil || len(rows) != 1 || rows[0].Table != tb.Name {
			t.Fatalf("%s sample: %v, %v", tb.Name, rows, err)
		}
		for i, c := range cols {
			want, ok := goType[c.typ]
			if !ok {
				t.Errorf("%s.%s: type %s has no Go mapping in this test", tb.Name, c.name, c.typ)
				continue
			}
			if got := reflect.TypeOf(rows[0].Values[i]); got != want {
				t.Errorf("%s.%s %s: Map gives %v, want %v", tb.Name, c.name, c.typ, got, want)
			}
		}
	}
	want := []string{Payments, PaymentResults, PayerLegs, ReserveLegs, Agreements, CustomerAccounts,
		ClearingBatches, SettlementInstructions, ReconciliationDiscrepancies, BatchReconciliations, PaymentCorrections, ReservePostings,
		LegacyMappings, Refunds, RefundResults, RefundLegs}
	if !slices.Equal(names, want) {
		t.Errorf("Tables() = %v, want %v", names, want)
	}
}

// fixtureEnv is an envelope with a helper to vary its time.
type fixtureEnv events.Envelope

func (e fixtureEnv) at(t time.Time) fixtureEnv { e.OccurredAt = t; return e }

type sqlColumn struct{ name, typ string }

var (
	createTable = regexp.MustCompile(`^CREATE TABLE IF NOT EXISTS (\w+)$`)
	columnDef   = regexp.MustCompile("^\\s+`?(\\w+)`?\\s+(.+?),?$")
)

// migrationColumns returns the columns of every CREATE TABLE in the
// embedded migrations (the files' layout: one column per line).
func migrationColumns(t *testing.T) map[string][]sqlColumn {
	t.Helper()
	out := map[string][]sqlColumn{}
	err := fs.WalkDir(schemas.ClickHouse, "clickhouse", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := schemas.ClickHouse.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		var table string
		for sc := bufio.NewScanner(f); sc.Scan(); {
			line := sc.Text()
			switch m := createTable.FindStringSubmatch(line); {
			case m != nil:
				table = m[1]
			case table == "":
			case strings.HasPrefix(line, ")"):
				table = ""
			case line == "(" || strings.HasPrefix(strings.TrimSpace(line), "--"):
			default:
				c := columnDef.FindStringSubmatch(line)
				if c == nil {
					return fmt.Errorf("%s: cannot read column line %q", path, line)
				}
				out[table] = append(out[table], sqlColumn{c[1], c[2]})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRefundRows maps each refund event to its row, and a reused key of a
// known refund to none: it must not replace that refund's end.
func TestRefundRows(t *testing.T) {
	req := events.StartRefund{RefundID: "r1", TxnID: txn, ChannelID: "alipay", OrderID: "o1", Amount: events.CNY("3.50")}
	cases := []struct {
		name  string
		p     events.Payload
		table string
		want  map[string]string
	}{
		{"started", events.RefundStarted{Request: req, ReserveAccount: "RSV", SubAccount: "RSV#2", PayerKey: payerKey}, Refunds,
			map[string]string{"refund_id": "r1", "txn_id": txn, "sub_account": "RSV#2", "amount": "3.50"}},
		{"finished", events.RefundFinished{RefundID: "r1", Status: events.StatusPresumedSuccess, ReasonCode: events.ReasonPayerCreditUnknown,
			ReserveDebit: "yes", PayerCredited: "unknown"}, RefundResults,
			map[string]string{"refund_id": "r1", "txn_id": txn, "status": "presumed_success", "payer_credited": "unknown", "amount": "0.00"}},
		{"rejected before it started", events.RefundRejected{Request: req, ReasonCode: events.ReasonRefundExceedsOriginal}, RefundResults,
			map[string]string{"refund_id": "r1", "status": "rejected", "reason_code": "refund_exceeds_original", "amount": "3.50"}},
		{"reused key of a known refund", events.RefundRejected{Request: req, ReasonCode: events.ReasonDuplicateKeyNewBody}, "", nil},
		{"reserve debit returned", events.ReserveDebitReversed{RefundID: "r1", TxnID: txn, SubAccount: "RSV#2", Amount: events.CNY("3.50")}, RefundLegs,
			map[string]string{"leg": "reserve", "kind": "returned", "account": "RSV#2", "amount": "3.50"}},
		{"customer credited", events.PayerCredited{RefundID: "r1", TxnID: txn, Amount: events.CNY("3.50")}, RefundLegs,
			map[string]string{"leg": "payer", "kind": "credited", "account": txn, "amount": "3.50"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := Mapper{}.Map(envelope(tc.p, txn, 4), tc.p, source)
			if err != nil {
				t.Fatal(err)
			}
			if tc.table == "" {
				if len(rows) != 0 {
					t.Fatalf("want no row, got %v", rows)
				}
				return
			}
			if len(rows) != 1 || rows[0].Table != tc.table {
				t.Fatalf("want one %s row, got %v", tc.table, rows)
			}
			got := cells(t, rows[0])
			for col, v := range tc.want {
				if got[col] != v {
					t.Errorf("%s = %q, want %q", col, got[col], v)
				}
			}
		})
	}
}
