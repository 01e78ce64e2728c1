package main

import (
	"fmt"
	"io/fs"

	"github.com/paycore/paycore/projections/chconn"
	"github.com/paycore/paycore/projections/migrate"
	"github.com/paycore/paycore/schemas"
	"github.com/spf13/cobra"
)

// clickhouseMigrations are the numbered DDL files in schemas/clickhouse.
func clickhouseMigrations() fs.FS {
	sub, err := fs.Sub(schemas.ClickHouse, "clickhouse")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

func migrateCommand() *cobra.Command {
	var statusOnly bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending ClickHouse migrations from schemas/clickhouse",
		Long: `Applies each numbered migration once and records it in schema_migrations.
Settings: PAYCORE_CLICKHOUSE_ADDR, PAYCORE_CLICKHOUSE_DATABASE,
PAYCORE_CLICKHOUSE_USER, PAYCORE_CLICKHOUSE_PASSWORD.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := chconn.ConfigFromEnv()
			conn, err := chconn.Open(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer conn.Close()
			if statusOnly {
				pending, err := migrate.Status(cmd.Context(), conn, clickhouseMigrations())
				if err != nil {
					return err
				}
				for _, m := range pending {
					fmt.Printf("pending %04d %s\n", m.Version, m.Name)
				}
				fmt.Printf("%d pending\n", len(pending))
				return nil
			}
			rep, err := migrate.Apply(cmd.Context(), conn, clickhouseMigrations())
			if err != nil {
				return err
			}
			for _, m := range rep.Applied {
				fmt.Printf("applied %04d %s\n", m.Version, m.Name)
			}
			fmt.Printf("%d applied, %d already present\n", len(rep.Applied), len(rep.Skipped))
			return nil
		},
	}
	cmd.Flags().BoolVar(&statusOnly, "status", false, "only list pending migrations")
	return cmd
}
