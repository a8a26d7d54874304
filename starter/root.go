package main

import (
	"context"
	"errors"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Help lists commands in the order they are added, most used first.
func init() { cobra.EnableCommandSorting = false }

// newRootCmd builds the command tree. Commands print through one printer
// and report command-line errors as usage errors (exit 2); cfgErr, the
// error of loading the configuration, fails every command that runs.
func newRootCmd(ctx context.Context, e *env, cfgErr error) *cobra.Command {
	p := &printer{w: e.stdout}
	root := &cobra.Command{
		Use:   "starter",
		Short: "DataForge's CLI",
		Long: `starter submits documents and follows them, reads results, tries the rule-based
extractor locally, migrates the database and works the manual review queue.

Configuration comes from the environment (README.md §Configuration): DATABASE_URL,
TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE and
TEMPORAL_CONFIG_FILE, DATAFORGE_TASK_QUEUE, DATAFORGE_UI_URL, DATAFORGE_CODEC_KEYS;
DATAFORGE_TEMPLATES (extract, accuracy, templates check), DATAFORGE_REVIEWER (review),
DATAFORGE_CID_DATA (the CID tables of CJK fonts: text, extract, accuracy, parity).`,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			if p.format != "text" && p.format != "json" {
				return usagef("--output must be text or json, not %q", p.format)
			}
			return cfgErr
		},
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetContext(ctx)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.PersistentFlags().StringVarP(&p.format, "output", "o", "text", "output format: text or json")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	root.AddCommand(
		newSubmitCmd(e, p), newStatusCmd(e, p), newResultCmd(e, p), newExtractCmd(e, p), newTextCmd(e, p),
		newTemplatesCmd(e, p), newAccuracyCmd(e, p), newParityCmd(e, p), newMigrateCmd(e, p), newReviewCmd(e, p), newStatsCmd(e, p), newRoutingCmd(e, p),
	)
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()

	// Every check cobra makes of the command line fails as a usage error:
	// flags, argument counts, commands that only group others.
	root.SetFlagErrorFunc(flagError)
	walk(root, func(c *cobra.Command) {
		if c.HasSubCommands() && !c.Runnable() {
			c.Args, c.RunE = unknownCommand, needCommand
			c.SuggestionsMinimumDistance = 2
		}
		if check := c.Args; check != nil {
			c.Args = func(c *cobra.Command, args []string) error { return asUsage(check(c, args)) }
		}
	})
	return root
}

// walk calls fn on c and every command below it.
func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walk(sub, fn)
	}
}

// needCommand is what a command that only groups others does alone.
func needCommand(*cobra.Command, []string) error { return usagef("name a command") }

// unknownCommand rejects the arguments of a command that only groups
// others, suggesting the commands whose names are close.
func unknownCommand(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		return usagef("unknown command %q; did you mean %s?", args[0], strings.Join(s, " or "))
	}
	return usagef("unknown command %q", args[0])
}

// flagError makes a flag's error a usage error, wording an unknown flag as
// the standard flag package does.
func flagError(_ *cobra.Command, err error) error {
	var ne *pflag.NotExistError
	if errors.As(err, &ne) {
		name := "--" + ne.GetSpecifiedName()
		if ne.GetSpecifiedShortnames() != "" {
			name = "-" + ne.GetSpecifiedName()
		}
		return usagef("flag provided but not defined: %s", name)
	}
	return asUsage(err)
}

// asUsage makes err, from a check of the command line, a usage error.
func asUsage(err error) error {
	var ue *usageError
	if err == nil || errors.As(err, &ue) {
		return err
	}
	return &usageError{err.Error()}
}

// needArgs fails with msg when a command has no arguments.
func needArgs(msg string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) == 0 {
			return &usageError{msg}
		}
		return nil
	}
}

// oneArg fails with msg unless a command has exactly one argument.
func oneArg(msg string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return &usageError{msg}
		}
		return nil
	}
}
