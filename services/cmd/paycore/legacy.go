package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/legacy"
	"github.com/paycore/paycore/services/payerkey"
	"github.com/paycore/paycore/services/topology"
	"github.com/spf13/cobra"
)

func legacyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "legacy",
		Short: "Migrate stock agreements of the direct-connect era and look up their new numbers; legacy refund ledgers",
	}
	cmd.AddCommand(legacyImportCommand(), legacyLookupCommand(), legacyPrefundCommand(), legacyRepayCommand(), legacyLedgerCommand())
	return cmd
}

// legacyBadRowsShown bounds the bad rows printed; the report has them all.
const legacyBadRowsShown = 20

func legacyImportCommand() *cobra.Command {
	var (
		file, reportPath string
		dryRun, quiet    bool
		wait             time.Duration
	)
	cmd := &cobra.Command{
		Use:   "import --file F [--dry-run]",
		Short: "Import stock agreements from a JSON-lines file into the payer bank, with a mapping of their numbers",
		Long: `Reads --file (JSON lines, one stock agreement per line; see "Legacy migration"
in services/README.md and services/legacy/testdata/stock.jsonl), checks every
line, and reports each bad one with its line number and reason while the
good ones import. Each good row becomes a payer.import_agreement to the payer
bank under its new NetsUnion agreement number (derived from channel and legacy
number, never truncated); once the bank holds the agreement, the mapping
legacy number -> new number is appended to legacy.mappings.

Importing a file again is safe: the same rows send the same commands, the bank
answers with its original answers, nothing new is recorded. A legacy number
already mapped to another account or channel is a conflict and is not sent.
Run one import at a time.

Progress (rows/s, ETA) goes to stderr, the summary to stdout, and one CSV line
per row to --report (line,legacy_no,status,agreement_no,reason,detail). Exits
non-zero when rows stayed unanswered (import the file again).
--dry-run checks the file against the mapping log and sends nothing.
Settings: PAYCORE_KAFKA_*, PAYCORE_PAYER_KEY_SECRET.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return errors.New("legacy import: --file is required")
			}
			f, err := os.Open(file)
			if err != nil {
				return fmt.Errorf("legacy import: %w", err)
			}
			defer f.Close()
			k, err := config.KafkaFromEnv()
			if err != nil {
				return err
			}
			if _, err := topology.Ensure(cmd.Context(), k.Brokers, k.Topology, topology.EnsureOptions{Timeout: k.AdminTimeout, Create: true, Connector: k.Connector}); err != nil {
				return err
			}
			d, err := payerkey.NewDeriver(config.SecretsFromEnv().PayerKey)
			if err != nil {
				return err
			}
			bars := map[legacy.Phase]*progress{}
			var current *progress
			res, err := legacy.Import(cmd.Context(), legacy.Config{
				Brokers: k.Brokers, Connector: k.Connector,
				PayerInbox: k.Topology.Name(topology.PayerInbox), Mappings: k.Topology.Name(topology.LegacyMaps),
				Replies: k.Topology.Name(topology.LegacyReplies), Registry: events.Catalog(), Deriver: d,
				DryRun: dryRun, AnswerWait: wait,
				Progress: func(p legacy.Progress) {
					bar, ok := bars[p.Phase]
					if !ok {
						if current != nil {
							current.finish()
						}
						bar = newProgress(string(p.Phase), "rows", quiet)
						bars[p.Phase] = bar
						current = bar
					}
					bar.set(int64(p.Done), int64(p.Total))
				},
			}, f)
			if current != nil {
				current.finish()
			}
			if res.ImportID == "" {
				return err
			}
			printLegacySummary(os.Stdout, file, res)
			if werr := writeLegacyReport(reportPath, res); werr != nil {
				return errors.Join(err, werr)
			}
			fmt.Printf("report: %s\n", reportPath)
			if err != nil {
				return err
			}
			if n := res.Count(legacy.StatusNoAnswer); n > 0 {
				return fmt.Errorf("legacy import: %d row(s) got no answer from the payer bank within %v: import the file again (it is safe)", n, wait)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&file, "file", "", "the JSON-lines file of stock agreements")
	fl.BoolVar(&dryRun, "dry-run", false, "check the file against the mapping log; send nothing")
	fl.StringVar(&reportPath, "report", "legacy-import-report.csv", "where to write the per-row report (CSV)")
	fl.DurationVar(&wait, "wait", legacy.DefaultAnswerWait, "stop waiting for the payer bank after this long without an answer")
	fl.BoolVar(&quiet, "quiet", false, "no progress bars")
	return cmd
}

func printLegacySummary(w io.Writer, file string, res legacy.Result) {
	mode := "import"
	if res.DryRun {
		mode = "dry run (nothing sent)"
	}
	fmt.Fprintf(w, "%s of %s: import ID %s, %d row(s)\n", mode, file, res.ImportID, len(res.Lines))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(label string, s legacy.Status, withReasons bool) {
		n := res.Count(s)
		reasons := ""
		if withReasons && n > 0 {
			byReason := res.Reasons(s)
			var parts []string
			for _, r := range slices.Sorted(maps.Keys(byReason)) {
				parts = append(parts, fmt.Sprintf("%s %d", r, byReason[r]))
			}
			reasons = strings.Join(parts, ", ")
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\n", label, n, reasons)
	}
	if res.DryRun {
		row("would import", legacy.StatusWouldImport, false)
		row("already mapped (would check)", legacy.StatusWouldCheck, false)
	} else {
		row("imported", legacy.StatusImported, false)
		row("already imported", legacy.StatusAlreadyImported, false)
		row("refused by the payer bank", legacy.StatusRefused, true)
		row("no answer", legacy.StatusNoAnswer, false)
	}
	row("conflicts with the mapping log", legacy.StatusConflict, true)
	row("bad rows", legacy.StatusBadRow, true)
	row("duplicate lines", legacy.StatusDuplicate, false)
	if !res.DryRun {
		fmt.Fprintf(tw, "  mappings written\t%d\t\n", res.MappingsWritten)
	}
	tw.Flush()
	shown := 0
	for _, l := range res.Lines {
		if l.Status != legacy.StatusBadRow && l.Status != legacy.StatusConflict && l.Status != legacy.StatusRefused {
			continue
		}
		if shown == legacyBadRowsShown {
			fmt.Fprintln(w, "  ... (the report lists every row)")
			break
		}
		if shown == 0 {
			fmt.Fprintln(w, "rows not imported:")
		}
		fmt.Fprintf(w, "  line %d %s: %s %s", l.Line, l.LegacyNo, l.Status, l.Reason)
		if l.Detail != "" {
			fmt.Fprintf(w, " (%s)", l.Detail)
		}
		fmt.Fprintln(w)
		shown++
	}
}

func writeLegacyReport(path string, res legacy.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("legacy import: report: %w", err)
	}
	if err := res.WriteReport(f); err != nil {
		f.Close()
		return fmt.Errorf("legacy import: report: %w", err)
	}
	return f.Close()
}

func legacyLookupCommand() *cobra.Command {
	var legacyNo, agreementNo string
	cmd := &cobra.Command{
		Use:   "lookup --legacy X | --agreement Y",
		Short: "Look up a migrated agreement: legacy number to NetsUnion number, or back",
		Long: `Reads the mapping log (legacy.mappings) and prints the mapping of a legacy
agreement number (--legacy) or of the NetsUnion agreement number it became
(--agreement). Exits non-zero when there is none.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (legacyNo == "") == (agreementNo == "") {
				return errors.New("legacy lookup: give exactly one of --legacy and --agreement")
			}
			k, err := config.KafkaFromEnv()
			if err != nil {
				return err
			}
			log, err := legacy.LoadMappings(cmd.Context(), k.Brokers, k.Connector, k.Topology.Name(topology.LegacyMaps), events.Catalog())
			if err != nil {
				return err
			}
			m, ok := log.ByLegacy(legacyNo)
			what := "legacy number " + legacyNo
			if agreementNo != "" {
				m, ok = log.ByAgreement(agreementNo)
				what = "agreement number " + agreementNo
			}
			if !ok {
				return fmt.Errorf("legacy lookup: no mapping for %s (%d mapped)", what, log.Len())
			}
			tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
			for _, kv := range [][2]string{
				{"legacy_no", m.LegacyNo}, {"agreement_no", m.AgreementNo}, {"channel_id", m.ChannelID},
				{"payer_key", m.PayerKey}, {"reason", m.Reason}, {"import_id", m.ImportID},
				{"mapped_at", m.At.UTC().Format(time.RFC3339)},
			} {
				fmt.Fprintf(tw, "%s\t%s\n", kv[0], kv[1])
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&legacyNo, "legacy", "", "a legacy (direct-connect) agreement number")
	cmd.Flags().StringVar(&agreementNo, "agreement", "", "a NetsUnion agreement number issued by a migration")
	return cmd
}
