package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
)

// TestHelpOfEveryCommand walks the command tree: every command answers
// --help and -h on stdout with exit 0.
func TestHelpOfEveryCommand(t *testing.T) {
	t.Parallel()
	b := &testBundle{ctx: context.Background(), vars: map[string]string{}}
	var paths [][]string
	walk(newRootCmd(b.ctx, &env{getenv: func(string) string { return "" }, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}, nil),
		func(c *cobra.Command) {
			if !c.Hidden {
				paths = append(paths, strings.Fields(c.CommandPath())[1:])
			}
		})
	require.Greater(t, len(paths), 25, "the root, its commands, review's and completion's")
	for _, path := range paths {
		for _, help := range []string{"--help", "-h"} {
			code, out, errOut := b.cli(append(path, help)...)
			t.Logf("%s %s: exit %d", strings.Join(append([]string{"starter"}, path...), " "), help, code)
			require.Equal(t, exitOK, code, "%v %s: %s", path, help, errOut)
			require.Contains(t, out, "Usage:", "%v %s", path, help)
			require.Empty(t, errOut, "%v %s", path, help)
		}
	}
}

func TestCommandLineErrors(t *testing.T) {
	t.Parallel()
	b := &testBundle{ctx: context.Background(), vars: map[string]string{}}
	doc := sample("invoice-classic.pdf")

	code, out, errOut := b.cli()
	require.Equal(t, exitUsage, code, "starter alone shows its help and fails")
	require.Empty(t, out)
	require.Contains(t, errOut, "Available Commands:")
	require.Contains(t, errOut, "submit")

	for _, args := range [][]string{
		{"frobnicate"},
		{"review"},
		{"review", "frobnicate"},
		{"text", doc, "--bogus"},
		{"--bogus", "text", doc},
		{"review", "list", "-x"},
		{"text", doc, "--pages"},
		{"text", doc, "--output", "yaml"},
		{"-o", "yaml", "text", doc},
		{"text"},
		{"text", doc, doc},
		{"migrate", "sideways"},
		{"review", "list", "extra"},
		{"completion", "bash", "extra"},
	} {
		code, out, errOut := b.cli(args...)
		require.Equal(t, exitUsage, code, "%v: %s", args, errOut)
		require.Empty(t, out, args)
		require.Contains(t, errOut, "starter", args)
		require.Contains(t, errOut, "Usage:", "%v: the usage follows the error", args)
	}
	_, _, errOut = b.cli("text", doc, "--bogus")
	require.True(t, strings.HasPrefix(errOut, "starter text: flag provided but not defined: --bogus\n"), errOut)
	_, _, errOut = b.cli("-o", "yaml", "text", doc)
	require.True(t, strings.HasPrefix(errOut, `starter text: --output must be text or json, not "yaml"`), errOut)
	_, _, errOut = b.cli("stauts")
	require.Contains(t, errOut, `unknown command "stauts"; did you mean status`)
}

// Flags go anywhere on the line, before or after the arguments; after --
// everything is an argument.
func TestFlagsAnywhere(t *testing.T) {
	t.Parallel()
	b := &testBundle{ctx: context.Background(), vars: map[string]string{}}
	doc := sample("invoice-multipage.pdf")
	for _, args := range [][]string{
		{"text", doc, "--pages", "2", "-o", "json"},
		{"text", "--pages=2", doc, "--output=json"},
		{"-o", "json", "text", "--pages", "2", "--", doc},
	} {
		code, out, errOut := b.cli(args...)
		require.Equal(t, exitOK, code, "%v: %s", args, errOut)
		var res textResult
		require.NoError(t, json.Unmarshal([]byte(out), &res), args)
		require.Equal(t, doc, res.File)
		require.Len(t, res.Shown, 1, args)
		require.Equal(t, 2, res.Shown[0].Number, args)
	}
	code, _, errOut := b.cli("text", "--", doc, "--pages", "2")
	require.Equal(t, exitUsage, code, "after -- a flag is an argument")
	require.Contains(t, errOut, "name one file")
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	b := &testBundle{ctx: context.Background(), vars: map[string]string{}}
	for shell, want := range map[string]string{
		"bash": "__start_starter", "zsh": "#compdef starter", "fish": "complete -c starter",
	} {
		code, out, errOut := b.cli("completion", shell)
		require.Equal(t, exitOK, code, errOut)
		require.Contains(t, out, want, shell)
	}
	// What a shell asks: the values of --output.
	code, out, errOut := b.cli(cobra.ShellCompRequestCmd, "status", "--output", "")
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, []string{"text", "json", ":4"}, strings.Fields(out)[:3])
}
