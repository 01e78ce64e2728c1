// Command paycore is the operator's binary: it checks and creates the
// Kafka topology, applies ClickHouse migrations, runs the processors, and
// runs the demo and diagnostics. `paycore help` lists the commands.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if err := rootCommand().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "paycore:", err)
		os.Exit(1)
	}
}

func rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "paycore",
		Short:         "Event-sourced payment core: agreement payments as sagas over Kafka, projections in ClickHouse",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(topicsCommand(), migrateCommand(), probeCommand(), runCommand(), demoCommand(), auditCommand(), reportCommand(), projectCommand(), replayCommand(), verifyStateCommand(), verifyChainCommand(),
		clearingCommand(), bankCommand(), reconcileCommand(), legacyCommand(), cutoverCommand())
	return root
}
