package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/store/storetest"
	"github.com/dataforge/dataforge/parsers/sandbox"
)

func TestMain(m *testing.M) {
	sandbox.Main()
	os.Exit(m.Run())
}

// TestQuickRun runs every part of the benchmarks in their smoke mode
// against the embedded server and the local Postgres, and checks that the
// report has each table, with every document settled and the fallback
// chain's and the rate limits' figures consistent.
func TestQuickRun(t *testing.T) {
	dbURL := os.Getenv("DATAFORGE_TEST_DATABASE_URL")
	if dbURL == "" {
		dbURL = storetest.DefaultURL
	}
	out := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string {
		if k == "DATABASE_URL" {
			return dbURL
		}
		return ""
	}
	err := run(ctx, []string{"-quick", "-out", out}, getenv, &stdout, io.MultiWriter(&stderr, testWriter{t}))
	require.NoError(t, err, stderr.String())
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	md := string(b)
	require.Equal(t, stdout.String(), md, "the report printed is the report written")
	for _, want := range []string{"## 1. Fallback value", "### primary available 94 %", "### rate-limited hour",
		"### primary down", "### slow provider", "## 2. Engine overhead", "## 3. Ingest at volume", "## 4. Components",
		"| router decision | BenchmarkRoute", "## 5. Rate limits across workers"} {
		require.Contains(t, md, want)
	}
	// The primary is down for the whole run: primary only sends every
	// document to review, the smaller model completes them.
	down := md[strings.Index(md, "### primary down"):]
	down = down[:strings.Index(down, "### slow provider")]
	require.Contains(t, down, "| primary only, then review | 0.0 % (0) | 100.0 % (6) | 0 % | 0 | 0 |")
	require.Contains(t, down, "| retries + smaller model, then review | 100.0 % (6) | 0.0 % (0) | 100 % | 0 | 0 | fallback 6 |")
	// Three documents are far below gpt-4o's tokens per minute: whatever
	// the machine's speed, the provider refuses nothing and every document
	// completes on gpt-4o, with 1 and 3 worker processes, ours and naive.
	for _, cfg := range rateConfigs {
		for _, workers := range []string{"1", "3"} {
			require.Regexp(t, `\| `+workers+` \| `+regexp.QuoteMeta(cfg.name)+` \| [^|]+ \| [^|]+ \| 0 \| 100\.0 % \(3\) \| 0 \(—\) \| 0 \|`, md)
		}
	}
	require.Regexp(t, `\| settled by one worker \(from the first submission\) \| [0-9.]+ documents/s \(20 settled`, md)
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
