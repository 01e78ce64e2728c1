package legacy_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkapubsub/kafkatest"
	"github.com/paycore/paycore/services/app"
	"github.com/paycore/paycore/services/audit"
	"github.com/paycore/paycore/services/bankadmin"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/legacy"
	"github.com/paycore/paycore/services/logscan"
	"github.com/paycore/paycore/services/payerkey"
	"github.com/paycore/paycore/services/topology"
	"github.com/segmentio/kafka-go"
)

// The migration end to end on the real broker, with every processor
// running: import testdata/mixed.jsonl (good rows, bad rows, a repeated
// line, a row whose account the bank lacks), import it again (nothing
// new), open the missing account and import again (that row only), pay
// with a migrated agreement over the NetsUnion path, and look the mapping
// up both ways.
func TestImportEndToEnd(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	top, err := topology.New(topology.Config{Prefix: kafkatest.UniqueTopic(t, "legacy") + ".", Partitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, err := topology.Ensure(ctx, brokers, top, topology.EnsureOptions{Create: true}); err != nil {
		t.Fatal(err)
	}
	cfg := app.Config{
		Kafka:   config.Kafka{Brokers: brokers, Topology: top, AdminTimeout: 10 * time.Second},
		Secrets: config.Secrets{PayerKey: "test-payer-key-secret", SMS: "test-sms-secret"},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	cfg.Runtime.SessionTimeout = 6 * time.Second
	cfg.Runtime.HeartbeatInterval = 500 * time.Millisecond
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		err := app.Run(runCtx, cfg, false)
		if runCtx.Err() == nil {
			cancel() // the processors failed: every step fails fast
		}
		done <- err
	}()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("processors stopped with: %v", err)
		}
	}()

	d, err := payerkey.NewDeriver(cfg.Secrets.PayerKey)
	if err != nil {
		t.Fatal(err)
	}
	payerInbox := top.Name(topology.PayerInbox)
	open := func(accounts ...bankadmin.Account) {
		t.Helper()
		if err := bankadmin.OpenAccounts(ctx, brokers, nil, payerInbox, d, accounts); err != nil {
			t.Fatal(err)
		}
	}
	wang := bankadmin.Account{Number: "6222020000000201", HolderName: "王五", IDNumber: "110101199505055678", Phone: "13800000201", OpeningBalance: events.CNY("1000.00")}
	zhao := bankadmin.Account{Number: "6222020000000202", HolderName: "赵六", IDNumber: "110101199404044567", Phone: "13800000202", OpeningBalance: events.CNY("50.00")}
	sun := bankadmin.Account{Number: "6222020000000209", HolderName: "孙七", IDNumber: "110101199606066789", Phone: "13800000209", OpeningBalance: events.CNY("10.00")}
	open(wang, zhao) // not sun: line 6 is refused until the bank has the account

	lc := legacy.Config{
		Brokers: brokers, PayerInbox: payerInbox, Mappings: top.Name(topology.LegacyMaps),
		Replies: top.Name(topology.LegacyReplies), Registry: events.Catalog(), Deriver: d, AnswerWait: 45 * time.Second,
	}
	importFile := func(dry bool) legacy.Result {
		t.Helper()
		f, err := os.Open("testdata/mixed.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		c := lc
		c.DryRun = dry
		res, err := legacy.Import(ctx, c, f)
		if err != nil {
			t.Fatalf("Import: %v", err)
		}
		return res
	}
	const (
		wangNo = "20180521000100200300400500600700800901"
		zhaoNo = "20180521000100200300400500600700800902"
		sunNo  = "TP-0000000204"
	)
	wangAgr := legacy.NewAgreementNo(d.Key(wang.Number), "alipay", wangNo)
	zhaoAgr := legacy.NewAgreementNo(d.Key(zhao.Number), "alipay", zhaoNo)
	sunAgr := legacy.NewAgreementNo(d.Key(sun.Number), "tenpay", sunNo)
	type want struct {
		line          int
		status        legacy.Status
		agreement, rs string
	}
	check := func(step string, res legacy.Result, wants []want) {
		t.Helper()
		if len(res.Lines) != len(wants) {
			t.Fatalf("%s: %d lines reported, want %d: %+v", step, len(res.Lines), len(wants), res.Lines)
		}
		for i, w := range wants {
			l := res.Lines[i]
			if l.Line != w.line || l.Status != w.status || l.AgreementNo != w.agreement || l.Reason != w.rs {
				t.Errorf("%s: line %d = %+v, want %+v", step, w.line, l, w)
			}
		}
	}
	bad := []want{
		{3, legacy.StatusBadRow, "", legacy.ReasonMalformedJSON},
		{4, legacy.StatusBadRow, "", events.CodeAmountScaleExceeded},
		{7, legacy.StatusDuplicate, "", ""},
		{8, legacy.StatusBadRow, "", events.ReasonLimitsInvalid},
	}
	with := func(good ...want) []want {
		all := append(append([]want{}, good[:2]...), bad[:2]...)
		all = append(all, good[2])
		return append(all, bad[2:]...)
	}

	// A dry run sends nothing and maps nothing.
	dry := importFile(true)
	check("dry run", dry, with(
		want{1, legacy.StatusWouldImport, wangAgr, ""}, want{2, legacy.StatusWouldImport, zhaoAgr, ""},
		want{6, legacy.StatusWouldImport, sunAgr, ""}))
	if n := countTopic(t, ctx, brokers, payerInbox, "payer.import_agreement"); n != 0 {
		t.Fatalf("the dry run sent %d import commands", n)
	}

	first := importFile(false)
	check("first import", first, with(
		want{1, legacy.StatusImported, wangAgr, ""}, want{2, legacy.StatusImported, zhaoAgr, ""},
		want{6, legacy.StatusRefused, sunAgr, events.ReasonAccountNotFound}))
	if first.MappingsWritten != 2 || first.DryRun {
		t.Errorf("first import wrote %d mappings, want 2", first.MappingsWritten)
	}
	var report bytes.Buffer
	if err := first.WriteReport(&report); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&report).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 8 || records[0][0] != "line" || records[1][1] != wangNo || records[1][2] != "imported" || records[1][3] != wangAgr ||
		records[3][0] != "3" || records[3][4] != legacy.ReasonMalformedJSON {
		t.Errorf("report:\n%s", report.String())
	}

	// The same file again: the bank answers with its original answers and
	// nothing new is recorded; the two mapped rows send byte for byte the
	// commands first sent.
	importedBefore := countTopic(t, ctx, brokers, top.Name(topology.PayerEvts), "payer.agreement_imported")
	again := importFile(false)
	check("second import", again, with(
		want{1, legacy.StatusAlreadyImported, wangAgr, ""}, want{2, legacy.StatusAlreadyImported, zhaoAgr, ""},
		want{6, legacy.StatusRefused, sunAgr, events.ReasonAccountNotFound}))
	if again.MappingsWritten != 0 || again.ImportID != first.ImportID {
		t.Errorf("second import wrote %d mappings (import %s, first %s)", again.MappingsWritten, again.ImportID, first.ImportID)
	}
	if n := countTopic(t, ctx, brokers, top.Name(topology.PayerEvts), "payer.agreement_imported"); n != importedBefore || n != 2 {
		t.Errorf("payer.agreement_imported events: %d after the second import, %d before; want 2", n, importedBefore)
	}
	if n := countTopic(t, ctx, brokers, top.Name(topology.LegacyMaps), "legacy.agreement_mapped"); n != 2 {
		t.Errorf("%d mapping events, want 2", n)
	}
	sent := importCommands(t, ctx, brokers, payerInbox)
	for _, no := range []string{wangNo, zhaoNo} {
		if c := sent[no]; len(c) != 2 || !bytes.Equal(c[0], c[1]) {
			t.Errorf("commands of %s: %d, identical %v", no, len(c), len(c) == 2 && bytes.Equal(c[0], c[1]))
		}
	}

	// The bank opens the missing account; importing again imports it.
	open(sun)
	third := importFile(false)
	check("third import", third, with(
		want{1, legacy.StatusAlreadyImported, wangAgr, ""}, want{2, legacy.StatusAlreadyImported, zhaoAgr, ""},
		want{6, legacy.StatusImported, sunAgr, ""}))
	if third.MappingsWritten != 1 {
		t.Errorf("third import wrote %d mappings, want 1", third.MappingsWritten)
	}

	// A stock user pays with the new number over the NetsUnion path; the
	// agreement's limits came from the file (300.00 per payment).
	client := channel.NewClient(brokers, nil, top.Name(topology.Requests))
	defer client.Close()
	outcomes, err := channel.Watch(ctx, brokers, nil, top.Name(topology.Outcomes))
	if err != nil {
		t.Fatal(err)
	}
	pay := func(order, agreementNo, amount string) events.Outcome {
		t.Helper()
		if err := client.Send(ctx, channel.Pay("alipay", order, order, agreementNo, events.CNY(amount))); err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
		defer wcancel()
		o, err := outcomes.Wait(wctx, order, channel.Final)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	if o := pay("legacy-pay-1", wangAgr, "250.00"); o.Status != events.StatusSuccess {
		t.Errorf("payment with the migrated agreement: %s %s", o.Status, o.ReasonCode)
	}
	if o := pay("legacy-pay-2", wangAgr, "300.01"); o.Status != events.StatusFailure || o.ReasonCode != events.ReasonOverPerPaymentLimit {
		t.Errorf("payment above the migrated per-payment limit: %s %s", o.Status, o.ReasonCode)
	}

	// Look-up both ways, from the mapping log.
	log, err := legacy.LoadMappings(ctx, brokers, nil, top.Name(topology.LegacyMaps), events.Catalog())
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := log.ByLegacy(wangNo); !ok || m.AgreementNo != wangAgr || m.ChannelID != "alipay" || m.PayerKey != d.Key(wang.Number) ||
		m.Reason != events.MappingExceedsField || m.ImportID != first.ImportID {
		t.Errorf("ByLegacy(%s) = %+v, %v", wangNo, m, ok)
	}
	if m, ok := log.ByAgreement(sunAgr); !ok || m.LegacyNo != sunNo || m.Reason != events.MappingNotNetsUnionForm {
		t.Errorf("ByAgreement(%s) = %+v, %v", sunAgr, m, ok)
	}
	if _, ok := log.ByLegacy("20180521000100200300400500600700800903"); ok || log.Len() != 3 {
		t.Errorf("the log maps a bad row, or holds %d mappings instead of 3", log.Len())
	}

	rep, err := audit.FromKafka(ctx, brokers, nil, top)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Clean() {
		t.Errorf("audit found violations:\n%s", rep)
	}
}

// countTopic counts the records of topic whose envelope type is typ.
func countTopic(t *testing.T, ctx context.Context, brokers []string, topic, typ string) int {
	t.Helper()
	n := 0
	err := logscan.Scan(ctx, brokers, nil, topic, func(m kafka.Message) error {
		env, err := events.Unmarshal(m.Value)
		if err == nil && env.Type == typ {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// importCommands returns the payer.import_agreement records of payer.inbox
// by legacy number, in the order sent.
func importCommands(t *testing.T, ctx context.Context, brokers []string, topic string) map[string][][]byte {
	t.Helper()
	reg := events.Catalog()
	out := map[string][][]byte{}
	err := logscan.Scan(ctx, brokers, nil, topic, func(m kafka.Message) error {
		env, err := events.Unmarshal(m.Value)
		if err != nil || env.Type != "payer.import_agreement" {
			return nil
		}
		p, err := reg.Decode(env)
		if err != nil {
			return err
		}
		no := p.(events.ImportAgreement).LegacyNo
		out[no] = append(out[no], m.Value)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
