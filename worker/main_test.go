package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/store/storetest"
	"github.com/dataforge/dataforge/parsers/ocr"
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
	_, err := ocr.Detect(context.Background(), ocr.DefaultLanguages)
	require.NoError(t, err, "the demo reads invoice-scanned.pdf with Tesseract (eng, deu, fra, nld; .ci/run installs them)")
	_, dbURL := storetest.New(t)
	vars := map[string]string{"DATABASE_URL": dbURL}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	metricsAddr := "127.0.0.1:" + freePort(t)
	go func() {
		done <- run(ctx, []string{"-dev", "-demo", "-state-dir", t.TempDir(), "-port", freePort(t), "-ui-port", freePort(t),
			"-samples", samples.Dir(), "-sim-faults", "gpt-4o=unavailable", "-metrics", metricsAddr},
			func(k string) string { return vars[k] }, &stdout, &stderr)
	}()
	require.Eventually(t, func() bool { return strings.Contains(stdout.String(), "press Ctrl-C") }, 3*time.Minute, 200*time.Millisecond,
		"demo did not finish; stderr:\n%s", stderr.String())

	// The metrics endpoint: ours and the Temporal SDK's.
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	scrape := string(body)
	require.Regexp(t, `dataforge_documents_total\{outcome="completed",tier="fallback"\} [1-9]`, scrape, "documents the smaller model completed")
	require.Regexp(t, `dataforge_documents_total\{outcome="review",tier=""\} [1-9]`, scrape)
	require.Regexp(t, `dataforge_attempts_total\{error_class="[A-Za-z]+",model="gpt-4o",outcome="error",task="extract",tier="primary"\} [1-9]`, scrape,
		"the primary model's failures by class")
	require.Regexp(t, `dataforge_llm_tokens_total\{kind="prompt",model="gpt-4o-mini"\} [1-9]`, scrape)
	require.Regexp(t, `dataforge_review_queue_items\{state="pending"\} [1-9]`, scrape)
	require.Contains(t, scrape, "dataforge_attempt_duration_seconds_bucket")
	require.Regexp(t, `dataforge_rate_limit_wait_seconds_count\{model="gpt-4o-mini"\} [1-9]`, scrape,
		"every call to the smaller model, waiting or not")
	require.Regexp(t, `dataforge_circuit_breaker\{model="gpt-4o",state="(open|half_open|closed)"\} 1`, scrape,
		"the primary model's breaker state")
	require.Contains(t, scrape, "temporal_activity_execution_latency", "the SDK's own metrics")
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
		if want := e.WantParseError(true); want != "" { // the worker reads scans with Tesseract
			require.Contains(t, row, "review")
			require.Contains(t, row, "parse: "+want)
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

// TestDevCodec runs the worker with codec keys: it serves the codec on
// -codec-addr with CORS for the embedded UI, and the UI is pointed at it.
func TestDevCodec(t *testing.T) {
	_, dbURL := storetest.New(t)
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32))
	vars := map[string]string{"DATABASE_URL": dbURL, "DATAFORGE_CODEC_KEYS": "k1=" + key}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	uiPort, codecAddr := freePort(t), "127.0.0.1:"+freePort(t)
	uiURL := "http://127.0.0.1:" + uiPort
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-dev", "-state-dir", t.TempDir(), "-port", freePort(t), "-ui-port", uiPort, "-codec-addr", codecAddr},
			func(k string) string { return vars[k] }, &stdout, &stderr)
	}()
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "worker running") }, 3*time.Minute, 200*time.Millisecond,
		"worker did not start; stderr:\n%s", stderr.String())

	resp, err := http.Get(uiURL + "/api/v1/settings")
	require.NoError(t, err)
	var settings struct{ Codec struct{ Endpoint string } }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&settings))
	resp.Body.Close()
	require.Equal(t, "http://"+codecAddr, settings.Codec.Endpoint)

	req, err := http.NewRequestWithContext(ctx, http.MethodOptions, "http://"+codecAddr+"/decode", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", uiURL)
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Equal(t, uiURL, resp.Header.Get("Access-Control-Allow-Origin"))
	require.NotContains(t, stderr.String(), key, "the key is never logged")

	cancel()
	require.NoError(t, <-done)
}

func TestCodecAddrNeedsKeys(t *testing.T) {
	var stdout, stderr syncBuffer
	err := run(context.Background(), []string{"-codec-addr", "127.0.0.1:0"}, func(string) string { return "" }, &stdout, &stderr)
	require.ErrorContains(t, err, "-codec-addr needs DATAFORGE_CODEC_KEYS")
}
