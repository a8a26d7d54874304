package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	sdkclient "go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/internal/devserver"
	"github.com/dataforge/dataforge/internal/llm"
	"github.com/dataforge/dataforge/internal/llmsim"
	"github.com/dataforge/dataforge/internal/router"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/parsers/sandbox"
	"github.com/dataforge/dataforge/worker/pipeline"
	"github.com/dataforge/dataforge/workflows"
)

// namespace is the embedded server's namespace for every run.
const namespace = "bench"

// lab is the embedded Temporal server the benchmarks share, and the
// Postgres server each run gets a fresh database on.
type lab struct {
	srv      *devserver.Server
	dir      string
	dbURL    string // the configured database; runs use siblings of it
	root     string // the module's directory, where binaries are built from
	runs     int
	built    map[string]string // command → its binary, built once per lab
	sandbox  *sandbox.Sandbox
	quiet    *slog.Logger
	progress func(format string, args ...any)
}

// startLab starts the embedded server in a scratch directory.
func startLab(dbURL, root string, progress func(string, ...any)) (*lab, error) {
	dir, err := os.MkdirTemp("", "dataforge-bench-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	srv, err := devserver.Start(devserver.Options{StateDir: filepath.Join(dir, "temporal"), Port: port, UIPort: -1,
		Namespace: namespace, SearchAttributes: workflows.SearchAttributes})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	sb, err := sandbox.New(sandbox.Options{})
	if err != nil {
		srv.Stop()
		os.RemoveAll(dir)
		return nil, err
	}
	return &lab{srv: srv, dir: dir, dbURL: dbURL, root: root, built: map[string]string{}, sandbox: sb, quiet: slog.New(slog.DiscardHandler), progress: progress}, nil
}

// stop stops the server and removes the scratch directory.
func (l *lab) stop() {
	l.srv.Stop()
	os.RemoveAll(l.dir)
}

// dial connects a new Temporal client to the embedded server.
func (l *lab) dial(ctx context.Context) (sdkclient.Client, error) {
	return sdkclient.DialContext(ctx, sdkclient.Options{HostPort: l.srv.HostPort(), Namespace: namespace,
		Logger: sdklog.NewStructuredLogger(l.quiet)})
}

// run is one measured configuration: its own database, task queue,
// simulator and workers.
type labRun struct {
	lab       *lab
	name      string
	DBURL     string
	Store     *store.Store
	TaskQueue string
	Sim       *llmsim.Server
	SimURL    string // the simulator's OpenAI base URL
	Sub       *client.Submitter
	clients   []sdkclient.Client
	workers   []worker.Worker
	stopSim   context.CancelFunc
}

// setup describes a run's pipeline.
type setup struct {
	Models  map[string]llmsim.ModelConfig // nil: no LLM tiers
	Answer  func(docType, text string) (json.RawMessage, error)
	Route   router.Config
	Limits  map[string]store.RateLimit // the models' limits our workers hold to; nil for none
	Workers int                        // in-process workers; 0 for none
	// InProcess parses in the worker process instead of the parse sandbox
	// (a child process per document, as the worker runs it).
	InProcess bool
	// Register adds the run's own workflows and activities to each worker.
	Register func(worker.Worker)
}

// newRun prepares a fresh database and starts the simulator and the workers.
func (l *lab) newRun(ctx context.Context, name string, s setup) (*labRun, error) {
	l.runs++
	u, err := url.Parse(l.dbURL)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	u.Path = fmt.Sprintf("/dataforge_bench_%d_%d", os.Getpid(), l.runs) // two benchmarks may run at once
	r := &labRun{lab: l, name: name, DBURL: u.String(), TaskQueue: fmt.Sprintf("bench-%d", l.runs), stopSim: func() {}}
	if err := store.DropDatabase(ctx, r.DBURL); err != nil {
		return nil, err
	}
	if err := store.EnsureDatabase(ctx, r.DBURL); err != nil {
		return nil, err
	}
	if _, err := store.Migrate(ctx, r.DBURL, 0); err != nil {
		return nil, err
	}
	if r.Store, err = store.Open(ctx, r.DBURL); err != nil {
		return nil, err
	}
	acts := &activities.Activities{Store: r.Store, Limits: parsers.DefaultLimits(), Router: s.Route,
		ReviewSLA: 24 * time.Hour, CacheTTL: time.Hour, Budget: activities.Budget{Prices: llm.WithPrices(nil)}}
	if !s.InProcess {
		acts.Parser = l.sandbox.Parse
	}
	if s.Models != nil {
		simCtx, cancel := context.WithCancel(ctx)
		r.stopSim = cancel
		r.Sim = llmsim.New(llmsim.Options{Models: s.Models, Logger: l.quiet, Seed: 7, Answer: s.Answer})
		if r.SimURL, err = r.Sim.Listen(simCtx, "127.0.0.1:0"); err != nil {
			r.close()
			return nil, err
		}
		lc := llm.Config{APIKey: "bench", BaseURL: r.SimURL}
		if s.Limits != nil {
			lc.Limiter = r.Store.RateLog(s.Limits)
		}
		acts.LLM = llm.New(lc)
	}
	c, err := l.dial(ctx) // the submitter's
	if err != nil {
		r.close()
		return nil, err
	}
	r.clients = append(r.clients, c)
	for range s.Workers {
		c, err := l.dial(ctx)
		if err != nil {
			r.close()
			return nil, err
		}
		r.clients = append(r.clients, c)
		w := pipeline.NewWorker(c, r.TaskQueue, acts)
		if s.Register != nil {
			s.Register(w)
		}
		if err := w.Start(); err != nil {
			r.close()
			return nil, err
		}
		r.workers = append(r.workers, w)
	}
	r.Sub = &client.Submitter{Store: r.Store, Temporal: r.clients[0], TaskQueue: r.TaskQueue, Namespace: namespace,
		MaxBytes: parsers.DefaultLimits().MaxBytes}
	return r, nil
}

// writeBatch writes n copies of w's documents for the run, tagged with its
// number.
func (r *labRun) writeBatch(w *workload, n int) (*batch, error) {
	return w.write(r.lab.dir, fmt.Sprintf("run%d", r.lab.runs), n)
}

// close stops the run's workers and simulator and drops its database.
func (r *labRun) close() {
	for _, w := range r.workers {
		w.Stop()
	}
	for _, c := range r.clients {
		c.Close()
	}
	r.stopSim()
	if r.Store != nil {
		r.Store.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = store.DropDatabase(ctx, r.DBURL)
}

// freePort returns a TCP port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
