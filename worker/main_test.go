package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/store/storetest"
	"github.com/dataforge/dataforge/parsers/sandbox"
	"github.com/dataforge/dataforge/samples"
)

func TestMain(m *testing.M) {
	sandbox.Main()
	os.Exit(m.Run())
}

// syncBuffer is a bytes.Buffer safe for the worker and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// TestDevDemo runs the README's main command in-process: embedded Temporal
// and UI, migrations, the samples through every tier with the LLM simulator
// failing the primary model, the outcome table, then a clean shutdown.
func TestDevDemo(t *testing.T) {
	_, dbURL := storetest.New(t)
	vars := map[string]string{"DATABASE_URL": dbURL}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-dev", "-demo", "-state-dir", t.TempDir(), "-port", freePort(t), "-ui-port", freePort(t),
			"-samples", samples.Dir(), "-sim-faults", "gpt-4o=unavailable"},
			func(k string) string { return vars[k] }, &stdout, &stderr)
	}()
	require.Eventually(t, func() bool { return strings.Contains(stdout.String(), "press Ctrl-C") }, 3*time.Minute, 200*time.Millisecond,
		"demo did not finish; stderr:\n%s", stderr.String())
	cancel()
	require.NoError(t, <-done)

	out := stdout.String()
	require.Contains(t, out, "Temporal Web UI: http://127.0.0.1:")
	expected, err := samples.Load()
	require.NoError(t, err)
	rows := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 3 {
			rows[f[0]] = line
		}
	}
	for _, e := range expected {
		row, ok := rows[e.File]
		require.True(t, ok, "no row for %s in\n%s", e.File, out)
		if e.ParseError != "" {
			require.Contains(t, row, "review")
			require.Contains(t, row, "parse: "+e.ParseError)
		} else if e.Outcome == samples.OutcomeEInvoice {
			require.Contains(t, row, "completed", "%s", row)
			require.Contains(t, row, "einvoice", "read from its XML, before any model: %s", row)
		} else if e.Outcome == samples.OutcomeRules {
			require.Contains(t, row, "completed", "%s", row)
			require.Contains(t, row, "fallback", "the primary model is down: %s", row)
		}
	}
	require.Contains(t, stderr.String(), "LLM SIMULATOR", "the simulator says what it is")
}
