// Command worker runs DataForge's Temporal worker. With -dev it also runs an
// embedded Temporal server and Web UI; with -demo it then processes samples/
// and prints the outcome.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	sdkclient "go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/internal/codec"
	"github.com/dataforge/dataforge/internal/config"
	"github.com/dataforge/dataforge/internal/devserver"
	"github.com/dataforge/dataforge/internal/llm"
	"github.com/dataforge/dataforge/internal/llmsim"
	"github.com/dataforge/dataforge/internal/llmsim/simrules"
	"github.com/dataforge/dataforge/internal/metrics"
	"github.com/dataforge/dataforge/internal/router"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/parsers/ocr"
	"github.com/dataforge/dataforge/parsers/sandbox"
	"github.com/dataforge/dataforge/parsers/templates"
	"github.com/dataforge/dataforge/worker/pipeline"
	"github.com/dataforge/dataforge/workflows"
)

func main() {
	sandbox.Main()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterWorkerFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.Check(); err != nil {
		return err
	}
	w := cfg.Worker
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if w.Demo && !cfg.TemporalNamed {
		w.Dev = true
	}
	cdc, err := codec.Load(cfg.CodecKeys, cfg.CodecKeyFile)
	if err != nil {
		return err
	}
	codecListener, err := listenCodec(w.CodecAddr, w.Dev, cdc)
	if err != nil {
		return err
	}
	var codecURL string
	if codecListener != nil {
		defer codecListener.Close()
		codecURL = "http://" + codecListener.Addr().String()
	}

	if w.Dev {
		opts := devserver.Options{
			StateDir: w.StateDir, Port: w.Port, UIPort: w.UIPort, Namespace: cfg.Temporal.Namespace,
			SearchAttributes: workflows.SearchAttributes, CodecEndpoint: codecURL,
		}
		if w.Persistence == "postgres" {
			opts.PostgresURL = temporalDatabaseURL(cfg.DatabaseURL, w.TemporalDatabaseURL)
		}
		srv, err := devserver.Start(opts)
		if err != nil {
			return err
		}
		defer srv.Stop()
		cfg.Temporal.HostPort = srv.HostPort()
		cfg.Temporal.Credentials = nil
		cfg.Temporal.ConnectionOptions.TLS = nil
		cfg.UIURL = srv.UIURL()
		logger.Info("embedded Temporal server running", "address", srv.HostPort(), "ui", srv.UIURL(),
			"persistence", w.Persistence, "state", w.StateDir)
		fmt.Fprintf(stdout, "Temporal Web UI: %s\n", srv.UIURL())
		if err := store.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
			return err
		}
	}

	if codecListener != nil {
		srv := &http.Server{Handler: codec.Handler(cdc, cfg.UIURL), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(codecListener) }()
		defer srv.Close()
		logger.Info("payload codec endpoint for the Web UI", "url", codecURL, "ui_origin", cfg.UIURL)
	}
	if cdc != nil {
		logger.Info("payloads in Temporal history are encrypted (payload codec keys configured)")
	}

	version, err := store.Migrate(ctx, cfg.DatabaseURL, 0)
	if err != nil {
		return err
	}
	logger.Info("database ready", "url", store.Redact(cfg.DatabaseURL), "schema_version", version)
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()

	mx, err := serveMetrics(ctx, w.MetricsAddr, st, logger)
	if err != nil {
		return err
	}
	opts := cfg.Temporal
	opts.Logger = sdklog.NewStructuredLogger(logger)
	if mx != nil {
		opts.MetricsHandler = mx.SDKHandler()
	}
	c, err := sdkclient.DialContext(ctx, codec.ClientOptions(opts, cdc))
	if err != nil {
		return fmt.Errorf("temporal %s unreachable: %w", opts.HostPort, err)
	}
	defer c.Close()
	if err := pipeline.EnsureSearchAttributes(ctx, c, cfg.Temporal.Namespace); err != nil {
		logger.Warn("custom search attributes missing; register them (see README)", "error", err)
	}

	var engine *ocr.Engine
	if w.OCRLanguages != "none" {
		if engine, err = ocr.Detect(ctx, strings.Split(w.OCRLanguages, "+")); err != nil {
			logger.Warn("OCR unavailable: scans and image-only PDFs go to review", "error", err)
		} else {
			logger.Info("OCR ready", "tesseract", engine.Version, "languages", w.OCRLanguages)
		}
	}
	cfg.LLM.Limiter = st.RateLog(cfg.RateLimits)
	extractor, route, err := setupLLM(ctx, cfg, w.Dev, engine, logger)
	if err != nil {
		return err
	}
	var tpls *templates.Set
	if cfg.Templates != "" {
		// A broken template is reported and left out; the others still work.
		tpls, err = templates.LoadDir(cfg.Templates)
		if err != nil {
			logger.Error("some issuer templates were not loaded", "dir", cfg.Templates, "error", err)
		}
		logger.Info("issuer templates loaded", "dir", cfg.Templates, "templates", len(tpls.Templates()))
	}
	sb, err := sandbox.New(sandbox.Options{Memory: w.ParseMemory << 20, Procs: w.ParseProcs, OCR: engine})
	if err != nil {
		return err
	}
	limits := parsers.DefaultLimits()
	acts := &activities.Activities{Store: st, Limits: limits, Parser: sb.Parse, Router: route, ReviewSLA: w.ReviewSLA,
		Templates: tpls, LLM: extractor, CacheTTL: 30 * 24 * time.Hour, Metrics: mx,
		Budget: activities.Budget{USD: cfg.BudgetUSD, Prices: llm.WithPrices(cfg.LLM.Prices)},
		Vision: activities.Vision{Models: map[string]bool{"gpt-4o": true, "gpt-4o-mini": true, "gpt-4.1": true, "gpt-4.1-mini": true},
			Below: cfg.VisionBelow}}
	tw := pipeline.NewWorker(c, cfg.TaskQueue, acts)
	if err := tw.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer tw.Stop()
	logger.Info("worker running", "task_queue", cfg.TaskQueue, "namespace", cfg.Temporal.Namespace)
	go pipeline.ExpireLeases(ctx, st, 30*time.Second, logger)
	sub := &client.Submitter{Store: st, Temporal: c, TaskQueue: cfg.TaskQueue, Namespace: cfg.Temporal.Namespace, UIURL: cfg.UIURL,
		MaxBytes: limits.MaxBytes}
	go pipeline.StartPending(ctx, sub, 30*time.Second, w.PendingGrace, logger)

	if w.Demo {
		if err := runDemo(ctx, sub, w.Samples, w.ReviewSLA, stdout); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nThe Temporal UI stays up at %s; press Ctrl-C to stop.\n", cfg.UIURL)
	}
	<-ctx.Done()
	logger.Info("shutting down")
	return nil
}

// serveMetrics serves Prometheus metrics on addr until ctx is done; nil, nil
// when addr is empty.
func serveMetrics(ctx context.Context, addr string, st *store.Store, logger *slog.Logger) (*metrics.Metrics, error) {
	if addr == "" {
		return nil, nil
	}
	queue := func(ctx context.Context) (int, int, int, time.Duration, error) {
		q, err := st.QueueStats(ctx)
		return q.Pending, q.Claimed, q.Overdue, time.Duration(q.OldestPendingSec * float64(time.Second)), err
	}
	breakers := func(ctx context.Context) (map[string]string, error) {
		bs, err := activities.Breakers(ctx, st, router.DefaultBreaker)
		states := make(map[string]string, len(bs))
		for model, b := range bs {
			states[model] = b.State
		}
		return states, err
	}
	mx, err := metrics.New(queue, breakers, logger)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", mx.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	go func() {
		<-ctx.Done()
		srv.Close()
		_ = mx.Shutdown(context.Background())
	}()
	logger.Info("Prometheus metrics", "url", "http://"+l.Addr().String()+"/metrics")
	return mx, nil
}

// listenCodec opens the address the codec HTTP endpoint is served on:
// addr, or 127.0.0.1:8234 in dev mode with keys; nil when it is off.
func listenCodec(addr string, dev bool, cdc *codec.Codec) (net.Listener, error) {
	if addr == "" && dev && cdc != nil {
		addr = "127.0.0.1:8234"
	}
	if addr == "" {
		return nil, nil
	}
	if cdc == nil {
		return nil, errors.New("-codec-addr needs DATAFORGE_CODEC_KEYS or DATAFORGE_CODEC_KEY_FILE")
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-codec-addr: %w", err)
	}
	return l, nil
}

// temporalDatabaseURL is where `-dev -persistence postgres` keeps Temporal's
// own state: configured (DATAFORGE_TEMPORAL_DATABASE_URL), or the server of
// dbURL with the database name suffixed "_temporal".
func temporalDatabaseURL(dbURL, configured string) string {
	if configured != "" {
		return configured
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return dbURL
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "_temporal"
	return u.String()
}

func runDemo(ctx context.Context, sub *client.Submitter, dir string, sla time.Duration, stdout io.Writer) error {
	paths, err := client.Expand([]string{filepath.Join(dir, "*.pdf"), filepath.Join(dir, "*.txt"), filepath.Join(dir, "*.xml")})
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return fmt.Errorf("no documents in %s", dir)
	}
	fmt.Fprintf(stdout, "Processing %d documents from %s\n", len(paths), dir)
	items, err := sub.Submit(ctx, paths, client.Options{ReviewSLA: sla})
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	last := -1
	progress := func(done, total int) {
		if done != last {
			last = done
			fmt.Fprintf(stdout, "  %d of %d documents settled\n", done, total)
		}
	}
	if err := sub.Wait(wctx, items, progress); err != nil {
		return err
	}
	reports, err := sub.Reports(ctx, items)
	if err != nil {
		return err
	}
	return client.WriteTable(stdout, reports)
}

// setupLLM configures the LLM tiers: the provider cfg.LLM names; in dev mode
// without an API key, the built-in simulator; else none (the chain is then
// rules, then review).
func setupLLM(ctx context.Context, cfg config.Config, dev bool, engine *ocr.Engine, logger *slog.Logger) (activities.Model, router.Config, error) {
	route := router.Config{
		PrimaryModel:  cfg.PrimaryModel,
		FallbackModel: cfg.FallbackModel,
		LLMRetry:      llm.RetryPolicy(),
		ClassifyBelow: 0.6,
		Capability:    cfg.Routing != "fixed",
		Breaker:       router.DefaultBreaker,
	}
	if cfg.Routing != "fixed" {
		route.Load = &router.DefaultLoad
	}
	if cfg.Routing == "learned" {
		route.Learned = &router.DefaultLearned
	}
	lc := cfg.LLM
	switch {
	case lc.APIKey != "":
		logger.Info("LLM tiers use the configured provider", "base_url", lc.BaseURL,
			"primary", route.PrimaryModel, "fallback", route.FallbackModel)
	case dev:
		models := llmsim.FastModels()
		if err := llmsim.ParseFaults(cfg.Worker.SimFaults, models); err != nil {
			return nil, router.Config{}, fmt.Errorf("-sim-faults: %w", err)
		}
		opts := llmsim.Options{Models: models, Answer: simrules.Answer, Logger: logger}
		if engine != nil { // the simulator reads page images with Tesseract, as a vision model reads them
			opts.ReadImage = func(img []byte) (string, error) { return engine.Text(ctx, img) }
		}
		sim := llmsim.New(opts)
		var err error
		lc.BaseURL, err = sim.Listen(ctx, "127.0.0.1:0")
		if err != nil {
			return nil, router.Config{}, err
		}
		lc.APIKey = "simulator"
		logger.Warn("no OPENAI_API_KEY: the LLM tiers talk to the built-in LLM SIMULATOR, not a real model",
			"base_url", lc.BaseURL, "faults", cfg.Worker.SimFaults)
	default:
		logger.Warn("no OPENAI_API_KEY: LLM tiers are off; documents go to the rules tier, then review")
		return nil, router.Config{}, nil
	}
	return llm.New(lc), route, nil
}
