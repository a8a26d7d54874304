// Command worker runs DataForge's Temporal worker. With -dev it also runs an
// embedded Temporal server and Web UI; with -demo it then processes samples/
// and prints the outcome.
package main

import (
	"cmp"
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
	"runtime"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/internal/codec"
	"github.com/dataforge/dataforge/internal/config"
	"github.com/dataforge/dataforge/internal/devserver"
	"github.com/dataforge/dataforge/internal/llm"
	"github.com/dataforge/dataforge/internal/llmsim"
	"github.com/dataforge/dataforge/internal/pipeline"
	"github.com/dataforge/dataforge/internal/router"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/internal/submit"
	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/parsers/ocr"
	"github.com/dataforge/dataforge/parsers/sandbox"
	"github.com/dataforge/dataforge/parsers/templates"
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
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dev := fs.Bool("dev", false, "run an embedded Temporal server and Web UI in this process")
	demo := fs.Bool("demo", false, "process the sample documents and print their outcome (implies -dev unless TEMPORAL_ADDRESS is set)")
	stateDir := fs.String("state-dir", ".dataforge", "where -dev keeps the Temporal server's SQLite database and log")
	persistence := fs.String("persistence", "sqlite", "-dev: the embedded server's persistence: sqlite (under -state-dir) or postgres "+
		"(DATAFORGE_TEMPORAL_DATABASE_URL; default: DATABASE_URL's server, database <name>_temporal)")
	port := fs.Int("port", 7233, "-dev: Temporal frontend port")
	uiPort := fs.Int("ui-port", 8233, "-dev: Temporal Web UI port")
	samplesDir := fs.String("samples", "samples", "-demo: the documents to process")
	reviewSLA := fs.Duration("review-sla", 24*time.Hour, "how long a review item may wait before it is escalated")
	pendingGrace := fs.Duration("pending-grace", time.Minute, "start documents stored but still without a workflow after this long")
	templatesDir := fs.String("templates", getenv("DATAFORGE_TEMPLATES"), "issuer templates for the rules tier (see parsers/TEMPLATES.md)")
	parseMemory := fs.Int64("parse-memory", sandbox.DefaultMemory>>20, "memory ceiling of each parse child process, MiB")
	parseProcs := fs.Int("parse-procs", runtime.NumCPU(), "how many documents may be parsed at once (each in a child process)")
	ocrLanguages := fs.String("ocr-languages", cmp.Or(getenv("DATAFORGE_OCR_LANGUAGES"), strings.Join(ocr.DefaultLanguages, "+")),
		"Tesseract languages that read scans, joined by +; none: no OCR (scans go to review)")
	codecAddr := fs.String("codec-addr", "", "serve the payload codec over HTTP here for the Web UI (needs codec keys, see README; "+
		"default 127.0.0.1:8234 with -dev and keys, else off)")
	simFaults := fs.String("sim-faults", getenv("DATAFORGE_SIM_FAULTS"),
		"-dev without OPENAI_API_KEY: faults of the LLM simulator, e.g. gpt-4o=unavailable:1,gpt-4o-mini=schema_violation:0.3")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := config.FromEnv(getenv)
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if *demo && getenv("TEMPORAL_ADDRESS") == "" {
		*dev = true
	}
	cdc, err := codec.FromEnv(getenv)
	if err != nil {
		return err
	}
	codecListener, err := listenCodec(*codecAddr, *dev, cdc)
	if err != nil {
		return err
	}
	var codecURL string
	if codecListener != nil {
		defer codecListener.Close()
		codecURL = "http://" + codecListener.Addr().String()
	}

	if *dev {
		opts := devserver.Options{
			StateDir: *stateDir, Port: *port, UIPort: *uiPort, Namespace: cfg.Namespace,
			SearchAttributes: workflows.SearchAttributes, CodecEndpoint: codecURL,
		}
		switch *persistence {
		case "sqlite":
		case "postgres":
			opts.PostgresURL = temporalDatabaseURL(cfg.DatabaseURL, getenv)
		default:
			return fmt.Errorf("-persistence %q: want sqlite or postgres", *persistence)
		}
		srv, err := devserver.Start(opts)
		if err != nil {
			return err
		}
		defer srv.Stop()
		cfg.TemporalAddress = srv.HostPort()
		cfg.UIURL = srv.UIURL()
		logger.Info("embedded Temporal server running", "address", srv.HostPort(), "ui", srv.UIURL(),
			"persistence", *persistence, "state", *stateDir)
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

	c, err := client.DialContext(ctx, codec.ClientOptions(client.Options{
		HostPort: cfg.TemporalAddress, Namespace: cfg.Namespace,
		Logger: sdklog.NewStructuredLogger(logger),
	}, cdc))
	if err != nil {
		return fmt.Errorf("temporal %s unreachable: %w", cfg.TemporalAddress, err)
	}
	defer c.Close()
	if err := pipeline.EnsureSearchAttributes(ctx, c, cfg.Namespace); err != nil {
		logger.Warn("custom search attributes missing; register them (see README)", "error", err)
	}

	extractor, route, err := setupLLM(ctx, *dev, *simFaults, getenv, logger)
	if err != nil {
		return err
	}
	var tpls *templates.Set
	if *templatesDir != "" {
		// A broken template is reported and left out; the others still work.
		tpls, err = templates.LoadDir(*templatesDir)
		if err != nil {
			logger.Error("some issuer templates were not loaded", "dir", *templatesDir, "error", err)
		}
		logger.Info("issuer templates loaded", "dir", *templatesDir, "templates", len(tpls.Templates()))
	}
	var engine *ocr.Engine
	if *ocrLanguages != "none" {
		if engine, err = ocr.Detect(ctx, strings.Split(*ocrLanguages, "+")); err != nil {
			logger.Warn("OCR unavailable: scans and image-only PDFs go to review", "error", err)
		} else {
			logger.Info("OCR ready", "tesseract", engine.Version, "languages", *ocrLanguages)
		}
	}
	sb, err := sandbox.New(sandbox.Options{Memory: *parseMemory << 20, Procs: *parseProcs, OCR: engine})
	if err != nil {
		return err
	}
	limits := parsers.DefaultLimits()
	acts := &activities.Activities{Store: st, Limits: limits, Parser: sb.Parse, Router: route, ReviewSLA: *reviewSLA,
		Templates: tpls, LLM: extractor, CacheTTL: 30 * 24 * time.Hour}
	w := pipeline.NewWorker(c, cfg.TaskQueue, acts)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()
	logger.Info("worker running", "task_queue", cfg.TaskQueue, "namespace", cfg.Namespace)
	go pipeline.ExpireLeases(ctx, st, 30*time.Second, logger)
	sub := &submit.Submitter{Store: st, Temporal: c, Config: cfg, MaxBytes: limits.MaxBytes}
	go pipeline.StartPending(ctx, sub, 30*time.Second, *pendingGrace, logger)

	if *demo {
		if err := runDemo(ctx, sub, *samplesDir, *reviewSLA, stdout); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nThe Temporal UI stays up at %s; press Ctrl-C to stop.\n", cfg.UIURL)
	}
	<-ctx.Done()
	logger.Info("shutting down")
	return nil
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
// own state: DATAFORGE_TEMPORAL_DATABASE_URL, or the server of dbURL with the
// database name suffixed "_temporal".
func temporalDatabaseURL(dbURL string, getenv func(string) string) string {
	if v := getenv("DATAFORGE_TEMPORAL_DATABASE_URL"); v != "" {
		return v
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return dbURL
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "_temporal"
	return u.String()
}

func runDemo(ctx context.Context, sub *submit.Submitter, dir string, sla time.Duration, stdout io.Writer) error {
	paths, err := submit.Expand([]string{filepath.Join(dir, "*.pdf"), filepath.Join(dir, "*.txt"), filepath.Join(dir, "*.xml")})
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return fmt.Errorf("no documents in %s", dir)
	}
	fmt.Fprintf(stdout, "Processing %d documents from %s\n", len(paths), dir)
	items, err := sub.Submit(ctx, paths, submit.Options{ReviewSLA: sla})
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
	return submit.WriteTable(stdout, reports)
}

// setupLLM configures the LLM tiers: the provider named by OPENAI_API_KEY and
// OPENAI_BASE_URL; in dev mode without a key, the built-in simulator; else
// none (the chain is then rules, then review). DATAFORGE_PRIMARY_MODEL and
// DATAFORGE_FALLBACK_MODEL name the models ("none" leaves a tier out).
func setupLLM(ctx context.Context, dev bool, simFaults string, getenv func(string) string, logger *slog.Logger) (activities.Model, router.Config, error) {
	model := func(key, def string) string {
		switch v := getenv(key); v {
		case "":
			return def
		case "none":
			return ""
		default:
			return v
		}
	}
	route := router.Config{
		PrimaryModel:  model("DATAFORGE_PRIMARY_MODEL", "gpt-4o"),
		FallbackModel: model("DATAFORGE_FALLBACK_MODEL", "gpt-4o-mini"),
		LLMRetry:      llm.RetryPolicy(),
		ClassifyBelow: 0.6,
	}
	cfg, err := llm.ConfigFromEnv(getenv)
	if err != nil {
		return nil, router.Config{}, err
	}
	switch {
	case cfg.APIKey != "":
		logger.Info("LLM tiers use the configured provider", "base_url", cfg.BaseURL,
			"primary", route.PrimaryModel, "fallback", route.FallbackModel)
	case dev:
		models := llmsim.FastModels()
		if err := llmsim.ParseFaults(simFaults, models); err != nil {
			return nil, router.Config{}, fmt.Errorf("-sim-faults: %w", err)
		}
		sim := llmsim.New(llmsim.Options{Models: models, Answer: llmsim.RulesAnswer, Logger: logger})
		cfg.BaseURL, err = sim.Listen(ctx, "127.0.0.1:0")
		if err != nil {
			return nil, router.Config{}, err
		}
		cfg.APIKey = "simulator"
		logger.Warn("no OPENAI_API_KEY: the LLM tiers talk to the built-in LLM SIMULATOR, not a real model",
			"base_url", cfg.BaseURL, "faults", simFaults)
	default:
		logger.Warn("no OPENAI_API_KEY: LLM tiers are off; documents go to the rules tier, then review")
		return nil, router.Config{}, nil
	}
	return llm.New(cfg), route, nil
}
