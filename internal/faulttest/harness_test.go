package faulttest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	sdkclient "go.temporal.io/sdk/client"

	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/devserver"
	"github.com/dataforge/dataforge/internal/llmsim"
	"github.com/dataforge/dataforge/internal/llmsim/simrules"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/internal/store/storetest"
	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/samples"
	"github.com/dataforge/dataforge/workflows"
)

// The test binary doubles as the Temporal server process: run with these
// variables set, it serves instead of testing.
const (
	serverDirVar  = "DATAFORGE_FAULTTEST_SERVER_DIR"
	serverPortVar = "DATAFORGE_FAULTTEST_SERVER_PORT"
	// serverPostgresVar, when set, persists the server to Postgres.
	serverPostgresVar = "DATAFORGE_FAULTTEST_SERVER_POSTGRES"
)

const taskQueue = "dataforge-faults"

func TestMain(m *testing.M) {
	if dir := os.Getenv(serverDirVar); dir != "" {
		os.Exit(serve(dir, os.Getenv(serverPortVar)))
	}
	code := m.Run()
	if workerDir != "" {
		os.RemoveAll(workerDir)
	}
	os.Exit(code)
}

// serve runs the embedded Temporal server (SQLite under dir) until SIGTERM.
func serve(dir, port string) int {
	p, err := strconv.Atoi(port)
	if err != nil {
		fmt.Fprintln(os.Stderr, "server port:", err)
		return 2
	}
	srv, err := devserver.Start(devserver.Options{StateDir: dir, Port: p, UIPort: -1,
		Namespace: "default", SearchAttributes: workflows.SearchAttributes, PostgresURL: os.Getenv(serverPostgresVar)})
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		return 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	srv.Stop()
	return 0
}

// full runs a few hundred documents per scenario instead of tens.
func full() bool { return os.Getenv("DATAFORGE_FAULTS") == "full" }

func batchSize() int {
	if full() {
		return 200
	}
	return 20
}

var (
	workerOnce sync.Once
	workerDir  string
	workerBin  string
	workerErr  error
)

// buildWorker builds the worker binary once per test run.
func buildWorker(t *testing.T) string {
	t.Helper()
	workerOnce.Do(func() {
		workerDir, workerErr = os.MkdirTemp("", "dataforge-faulttest-")
		if workerErr != nil {
			return
		}
		workerBin = filepath.Join(workerDir, "worker")
		out, err := exec.Command("go", "build", "-o", workerBin, "github.com/dataforge/dataforge/worker").CombinedOutput()
		if err != nil {
			workerErr = fmt.Errorf("go build worker: %v\n%s", err, out)
		}
	})
	if workerErr != nil {
		t.Fatal(workerErr)
	}
	return workerBin
}

// sim is the LLM simulator, in the test process so that it outlives worker
// kills, counting the chat completions it starts and finishes.
type sim struct {
	srv      *httptest.Server
	handler  atomic.Pointer[llmsim.Server]
	started  atomic.Int64
	finished atomic.Int64
}

func startSim(t *testing.T, models map[string]llmsim.ModelConfig) *sim {
	s := &sim{}
	s.set(models)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/chat/completions") {
			s.started.Add(1)
			defer s.finished.Add(1)
		}
		s.handler.Load().ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// set replaces the simulated models (their latencies and faults).
func (s *sim) set(models map[string]llmsim.ModelConfig) {
	s.handler.Store(llmsim.New(llmsim.Options{Models: models, Answer: simrules.Answer,
		Logger: slog.New(slog.DiscardHandler)}))
}

func (s *sim) inFlight() int64 { return s.started.Load() - s.finished.Load() }

// models are the two simulated models with latency mean ± jitter, no rate
// limits, and faults as the simulator's -faults flag writes them.
func models(t *testing.T, mean, jitter time.Duration, faults string) map[string]llmsim.ModelConfig {
	t.Helper()
	m := map[string]llmsim.ModelConfig{}
	for name, cfg := range llmsim.DefaultModels() {
		cfg.LatencyMean, cfg.LatencyJitter, cfg.RPM, cfg.TPM = mean, jitter, 0, 0
		m[name] = cfg
	}
	require.NoError(t, llmsim.ParseFaults(faults, m))
	return m
}

// env is one scenario's world: a database, a Temporal server process, a
// worker process and the simulator.
type env struct {
	t        *testing.T
	ctx      context.Context
	st       *store.Store
	dbURL    string
	sim      *sim
	stateDir string
	port     int
	server   *exec.Cmd
	// serverVars are extra environment variables of the server process.
	serverVars []string
	worker     *exec.Cmd
	// workerDB is the DATABASE_URL the worker gets (through a proxy, say).
	workerDB string
	// workerVars are extra environment variables of the workers; by
	// default DATAFORGE_RATE_LIMITS=none, as the simulated models have no
	// limits unless a scenario sets them.
	workerVars []string
	client     sdkclient.Client
	sub        *client.Submitter
	logs       string
	// callsBefore is the simulator's call count when the last batch began.
	callsBefore int64
}

func setup(t *testing.T, m map[string]llmsim.ModelConfig, serverVars ...string) *env {
	t.Helper()
	buildWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Minute)
	t.Cleanup(cancel)
	st, dbURL := storetest.New(t)
	e := &env{t: t, ctx: ctx, st: st, dbURL: dbURL, workerDB: dbURL, sim: startSim(t, m),
		workerVars: []string{"DATAFORGE_RATE_LIMITS=none"},
		stateDir:   t.TempDir(), port: freePort(t), logs: t.TempDir(), serverVars: serverVars}
	e.startServer()
	t.Cleanup(e.stopAll)
	dctx, dcancel := context.WithTimeout(ctx, 3*time.Minute)
	defer dcancel()
	for {
		c, err := sdkclient.DialContext(dctx, sdkclient.Options{HostPort: e.hostPort(), Logger: quiet{}})
		if err == nil {
			e.client = c
			break
		}
		if dctx.Err() != nil {
			t.Fatalf("temporal server did not come up: %v\n%s", err, e.tail("server.log"))
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Cleanup(e.client.Close)
	e.sub = &client.Submitter{Store: st, Temporal: e.client, MaxBytes: parsers.DefaultLimits().MaxBytes,
		TaskQueue: taskQueue}
	return e
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (e *env) hostPort() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(e.port)) }

func (e *env) logFile(name string) *os.File {
	f, err := os.OpenFile(filepath.Join(e.logs, name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	require.NoError(e.t, err)
	return f
}

// tail is the end of a process's log, for failure messages.
func (e *env) tail(name string) string {
	b, _ := os.ReadFile(filepath.Join(e.logs, name))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func (e *env) startServer() {
	self, err := os.Executable()
	require.NoError(e.t, err)
	vars := append([]string{serverDirVar + "=" + e.stateDir, serverPortVar + "=" + strconv.Itoa(e.port)}, e.serverVars...)
	e.server = e.spawn("server.log", self, nil, vars...)
}

// spawn starts a process with extra environment variables, its output
// appended to a log file.
func (e *env) spawn(logName, bin string, args []string, vars ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), vars...)
	log := e.logFile(logName)
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	require.NoError(e.t, cmd.Start())
	return cmd
}

// restartServer starts the stopped server again on its state and waits until
// it serves workflows (a describe reaches the history service, which needs
// the cluster membership). The server keeps its internal ports in its state
// directory, so a quick restart rejoins its own membership rows; when a port
// was taken meanwhile it starts on new ones and may exit joining the stale
// rows ("failed to start ringpop: join duration exceeded", about a minute
// later), so a process that does not serve within 90 s is killed and started
// again, at most four times, by when the stale members have expired.
func (e *env) restartServer(workflowID string) {
	for try := 1; ; try++ {
		e.startServer()
		ctx, cancel := context.WithTimeout(e.ctx, 90*time.Second)
		for ctx.Err() == nil {
			rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := e.client.DescribeWorkflowExecution(rctx, workflowID, "")
			rcancel()
			if err == nil {
				cancel()
				return
			}
			time.Sleep(time.Second)
		}
		cancel()
		stop(e.server, syscall.SIGKILL)
		e.server = nil
		if try == 4 {
			e.t.Fatalf("the temporal server did not come back after %d starts\n%s", try,
				e.tail(filepath.Join("..", filepath.Base(e.stateDir), "temporal-server.log")))
		}
		e.t.Logf("the temporal server did not serve after restart %d; starting it again", try)
	}
}

// stopServer stops the Temporal server gracefully; its state stays on disk.
func (e *env) stopServer() {
	stop(e.server, syscall.SIGTERM)
	e.server = nil
}

func (e *env) startWorker() { e.worker = e.spawnWorker("worker.log") }

// spawnWorker starts a worker process logging to logName.
func (e *env) spawnWorker(logName string) *exec.Cmd {
	vars := append([]string{"DATABASE_URL=" + e.workerDB, "TEMPORAL_ADDRESS=" + e.hostPort(), "TEMPORAL_NAMESPACE=default",
		"DATAFORGE_TASK_QUEUE=" + taskQueue, "OPENAI_API_KEY=sk-faulttest-not-a-real-key",
		"OPENAI_BASE_URL=" + e.sim.srv.URL + "/v1", "OPENAI_TIMEOUT=10s"}, e.workerVars...)
	return e.spawn(logName, workerBin, []string{"-pending-grace", "10s"}, vars...)
}

// killWorker kills the worker with SIGKILL: no cleanup, no goodbye.
func (e *env) killWorker() {
	stop(e.worker, syscall.SIGKILL)
	e.worker = nil
}

func (e *env) stopAll() {
	stop(e.worker, syscall.SIGTERM)
	stop(e.server, syscall.SIGTERM)
}

// stop signals a process and waits for it, killing it after a minute.
func stop(cmd *exec.Cmd, sig syscall.Signal) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		<-done
	}
}

// batch writes n distinct text invoices (one line varies) and submits them.
func (e *env) batch(n int) []*client.Item {
	e.t.Helper()
	tmpl, err := os.ReadFile(filepath.Join(samples.Dir(), "invoice-plain.txt"))
	require.NoError(e.t, err)
	dir := e.t.TempDir()
	tag := strconv.FormatInt(time.Now().UnixNano()%1e6, 36)
	paths := make([]string, n)
	for i := range paths {
		paths[i] = filepath.Join(dir, fmt.Sprintf("invoice-%04d.txt", i))
		doc := strings.Replace(string(tmpl), "TT-3307", fmt.Sprintf("TT-%s%04d", strings.ToUpper(tag), i), 1)
		require.NoError(e.t, os.WriteFile(paths[i], []byte(doc), 0o644))
	}
	e.callsBefore = e.sim.started.Load()
	items, err := e.sub.Submit(e.ctx, paths, client.Options{})
	require.NoError(e.t, err)
	return items
}

// settled counts the items that need no more automated work.
func (e *env) settled(items []*client.Item) int {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.DocumentID
	}
	docs, err := e.st.Documents(e.ctx, ids)
	require.NoError(e.t, err)
	n := 0
	for _, d := range docs {
		if client.Settled(d.Status) {
			n++
		}
	}
	return n
}

// waitFor polls cond until it holds, failing after limit.
func (e *env) waitFor(what string, limit time.Duration, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("gave up waiting for %s after %s\nworker log:\n%s", what, limit, e.tail("worker.log"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitSettled waits until every item is settled; the deadline is generous
// (minutes per tens of documents) because the machine may be slow.
func (e *env) waitSettled(items []*client.Item) {
	e.t.Helper()
	e.waitFor("every document to settle", 10*time.Minute+time.Duration(len(items))*3*time.Second,
		func() bool { return e.settled(items) == len(items) })
}

// counts is what became of a batch.
type counts struct {
	Submitted  int
	ByTier     map[string]int
	Review     int
	Rejected   int
	Lost       int
	Duplicated int
	Reasons    map[string]int
	// SimCalls are the chat completions the simulator started during the
	// batch; LLMAttempts the LLM tier attempts the worker recorded.
	SimCalls    int64
	LLMAttempts int
}

// count reads what became of items from Postgres and Temporal. Lost: not
// settled, or completed without a result, or in review without a review
// item. Duplicated: more than one workflow run completed the document, or
// it has a result and a pending review item.
func (e *env) count(items []*client.Item) counts {
	e.t.Helper()
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.DocumentID
	}
	c := counts{Submitted: len(items), ByTier: map[string]int{}, Reasons: map[string]int{}, SimCalls: e.sim.started.Load() - e.callsBefore}
	rows, err := e.st.Pool().Query(e.ctx, `
		SELECT d.status, coalesce(r.tier, ''), coalesce(d.reason, ''),
		       (SELECT count(*) FROM review_items i WHERE i.document_id = d.id AND i.state IN ('pending', 'claimed'))
		FROM documents d LEFT JOIN results r ON r.document_id = d.id
		WHERE d.id = ANY($1)`, ids)
	require.NoError(e.t, err)
	seen := 0
	for rows.Next() {
		var status, tier, reason string
		var open int
		require.NoError(e.t, rows.Scan(&status, &tier, &reason, &open))
		seen++
		switch {
		case status == string(dftype.StatusCompleted) && tier != "":
			c.ByTier[tier]++
			if open > 0 {
				c.Duplicated++
			}
		case status == string(dftype.StatusReview) && open == 1:
			c.Review++
			c.Reasons[reason]++
		case status == string(dftype.StatusRejected):
			c.Rejected++
		default:
			c.Lost++
		}
	}
	require.NoError(e.t, rows.Err())
	c.Lost += len(items) - seen
	require.NoError(e.t, e.st.Pool().QueryRow(e.ctx,
		`SELECT count(*) FROM attempts WHERE document_id = ANY($1) AND tier IN ('primary', 'fallback')`, ids).Scan(&c.LLMAttempts))

	completedRuns := map[string]int{}
	var token []byte
	for {
		resp, err := e.client.ListWorkflow(e.ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: "ExecutionStatus = 'Completed'", NextPageToken: token, PageSize: 1000,
		})
		require.NoError(e.t, err)
		for _, ex := range resp.GetExecutions() {
			completedRuns[ex.GetExecution().GetWorkflowId()]++
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	for _, runs := range completedRuns {
		if runs > 1 {
			c.Duplicated++
		}
	}
	return c
}

// report logs counts as a table row (go test -v shows it).
func (e *env) report(scenario string, c counts) {
	e.t.Helper()
	var tiers, reasons []string
	for k, v := range c.ByTier {
		tiers = append(tiers, fmt.Sprintf("%s=%d", k, v))
	}
	for k, v := range c.Reasons {
		reasons = append(reasons, fmt.Sprintf("%q=%d", k, v))
	}
	sort.Strings(tiers)
	sort.Strings(reasons)
	e.t.Logf("\n%-28s %9s  %-32s %6s %8s %4s %10s %9s %12s\n%-28s %9d  %-32s %6d %8d %4d %10d %9d %12d\nreview reasons: %s",
		"SCENARIO", "SUBMITTED", "COMPLETED BY TIER", "REVIEW", "REJECTED", "LOST", "DUPLICATED", "LLM CALLS", "LLM ATTEMPTS",
		scenario, c.Submitted, strings.Join(tiers, " "), c.Review, c.Rejected, c.Lost, c.Duplicated, c.SimCalls, c.LLMAttempts,
		strings.Join(reasons, ", "))
}

func (c counts) completed() int {
	n := 0
	for _, v := range c.ByTier {
		n += v
	}
	return n
}

// quiet drops the Temporal SDK's logs of the test's own sdkclient.
type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}
