package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/cutover"
	"github.com/paycore/paycore/services/topology"
	"github.com/spf13/cobra"
)

func cutoverCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cutover",
		Short: "Cutover (切量) routing rules: which payments take NetsUnion and which the legacy direct path",
	}
	cmd.AddCommand(cutoverPublishCommand(), cutoverShowCommand())
	return cmd
}

func cutoverPublishCommand() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "publish --file rules.json",
		Short: "Validate a rules file and publish it as the next rules version",
		Long: `Reads --file (the JSON of cutover.rules_published: version, note,
institutions; see "Cutover" in services/README.md), refuses unknown or
duplicate members and invalid values with every problem listed, checks that
its version is above the version in force, and appends it to cutover.rules.
Running intakes route by it within a moment; each payment records the
version that routed it. Processors run with --cutover.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return errors.New("cutover publish: --file is required")
			}
			data, err := os.ReadFile(file)
			if err != nil {
				return fmt.Errorf("cutover publish: %w", err)
			}
			rules, err := cutover.ParseFile(data)
			if err != nil {
				return fmt.Errorf("cutover publish: %s: %w", file, err)
			}
			k, err := config.KafkaFromEnv()
			if err != nil {
				return err
			}
			if _, err := topology.Ensure(cmd.Context(), k.Brokers, k.Topology, topology.EnsureOptions{Timeout: k.AdminTimeout, Create: true, Connector: k.Connector}); err != nil {
				return err
			}
			if err := cutover.Publish(cmd.Context(), k.Brokers, k.Connector, k.Topology.Name(topology.CutoverRules), events.Catalog(), rules.Published(), time.Now()); err != nil {
				return fmt.Errorf("cutover publish: %w", err)
			}
			fmt.Printf("published cutover rules version %d (%d institutions)\n", rules.Version(), len(rules.Published().Institutions))
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "file", "", "rules file (JSON)")
	return cmd
}

func cutoverShowCommand() *cobra.Command {
	var version int
	cmd := &cobra.Command{
		Use:   "show [--version N]",
		Short: "Print the rules in force, or version N, as published",
		Long: `Reads cutover.rules as every intake reads it (records that are not valid,
increasing versions are skipped and reported on stderr) and prints the
rules in force, or --version N, as JSON, after a line listing every
version published.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := config.KafkaFromEnv()
			if err != nil {
				return err
			}
			book, err := cutover.Load(cmd.Context(), k.Brokers, k.Connector, k.Topology.Name(topology.CutoverRules), events.Catalog(),
				func(offset int64, err error) {
					fmt.Fprintf(os.Stderr, "skipped record at offset %d: %v\n", offset, err)
				})
			if err != nil {
				return fmt.Errorf("cutover show: %w", err)
			}
			var versions []int
			for _, r := range book.Versions() {
				versions = append(versions, r.Version())
			}
			fmt.Printf("versions published: %v\n", versions)
			r := book.Latest()
			if version != 0 {
				var ok bool
				if r, ok = book.Version(version); !ok {
					return fmt.Errorf("cutover show: no version %d", version)
				}
			}
			if r == nil {
				fmt.Println("no rules published: every payment takes NetsUnion")
				return nil
			}
			out, err := json.MarshalIndent(r.Published(), "", "  ")
			if err != nil {
				return err
			}
			fmt.Println(string(out))
			return nil
		},
	}
	cmd.Flags().IntVar(&version, "version", 0, "the version to show (default: the one in force)")
	return cmd
}
