package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/dataforge/dataforge/internal/store"
)

func newMigrateCmd(e *env, p *printer) *cobra.Command {
	var create bool
	cmd := &cobra.Command{
		Use:   "migrate [up|down]",
		Short: "Apply (or roll back one step of) the database migrations",
		Long: `migrate applies the database migrations of DATABASE_URL (up, the default), or rolls
back the last one (down).`,
		ValidArgs: []string{"up", "down"},
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 || len(args) == 1 && args[0] != "up" && args[0] != "down" {
				return usagef("want up or down, got %v", args)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			steps := 0
			if len(args) == 1 && args[0] == "down" {
				steps = -1
			}
			return runMigrate(cmd.Context(), e, p, create, steps)
		},
	}
	cmd.Flags().BoolVar(&create, "create-db", false, "create the database first if it does not exist")
	return cmd
}

// runMigrate migrates by steps: 0 applies every migration, -1 rolls back one.
func runMigrate(ctx context.Context, e *env, p *printer, create bool, steps int) error {
	cfg := e.cfg
	if create {
		if err := store.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
			return err
		}
	}
	version, err := store.Migrate(ctx, cfg.DatabaseURL, steps)
	if err != nil {
		return err
	}
	db := store.Redact(cfg.DatabaseURL)
	return p.Print(map[string]any{"database": db, "version": version}, func() error {
		p.Printf("%s at schema version %d\n", db, version)
		return nil
	})
}
