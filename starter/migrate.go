package main

import (
	"context"
	"fmt"

	"github.com/dataforge/dataforge/internal/config"
	"github.com/dataforge/dataforge/internal/store"
)

func cmdMigrate(ctx context.Context, args []string, e *env) error {
	fs, output := newFlags("migrate", e)
	create := fs.Bool("create-db", false, "create the database first if it does not exist")
	args, err := parse(fs, output, args)
	if err != nil {
		return err
	}
	steps := 0
	switch {
	case len(args) == 0 || (len(args) == 1 && args[0] == "up"):
	case len(args) == 1 && args[0] == "down":
		steps = -1
	default:
		return usagef("want up or down, got %v", args)
	}
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return err
	}
	if *create {
		if err := store.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
			return err
		}
	}
	version, err := store.Migrate(ctx, cfg.DatabaseURL, steps)
	if err != nil {
		return err
	}
	if *output == "json" {
		return writeJSON(e.stdout, map[string]any{"database": store.Redact(cfg.DatabaseURL), "version": version})
	}
	fmt.Fprintf(e.stdout, "%s at schema version %d\n", store.Redact(cfg.DatabaseURL), version)
	return nil
}
