// Package config is DataForge's configuration: one struct, loaded once per
// main from the environment (and a Temporal client profile file), then
// overridden by the main's flags and handed down. README.md §Configuration
// lists every variable; nothing else reads the environment.
package config

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/dataforge/dataforge/internal/llm"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/parsers/ocr"
	"github.com/dataforge/dataforge/parsers/sandbox"
)

// DefaultDatabaseURL is used when DATABASE_URL is not set: the local Postgres.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/dataforge?sslmode=disable"

// Defaults of the Temporal connection when neither the environment nor a
// profile names one.
const (
	DefaultTemporalAddress = "127.0.0.1:7233"
	DefaultNamespace       = "default"
)

// Config is the configuration of the worker and the starter.
type Config struct {
	// DatabaseURL is DATABASE_URL.
	DatabaseURL string
	// Temporal are the client options from the SDK's environment
	// configuration: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
	// TEMPORAL_TLS*, TEMPORAL_GRPC_META_*, and the profile TEMPORAL_PROFILE
	// selects in TEMPORAL_CONFIG_FILE (default the user's
	// temporalio/temporal.toml). HostPort and Namespace are always set.
	Temporal client.Options
	// TaskQueue is DATAFORGE_TASK_QUEUE.
	TaskQueue string
	// UIURL is DATAFORGE_UI_URL, the Temporal Web UI that links point to.
	UIURL string
	// Templates is DATAFORGE_TEMPLATES, a directory of issuer templates.
	Templates string
	// Reviewer is DATAFORGE_REVIEWER, who acts in `starter review`.
	Reviewer string
	// CodecKeys and CodecKeyFile are DATAFORGE_CODEC_KEYS and
	// DATAFORGE_CODEC_KEY_FILE (see internal/codec).
	CodecKeys, CodecKeyFile string
	// LLM is the model provider: OPENAI_API_KEY, OPENAI_BASE_URL,
	// OPENAI_TIMEOUT, DATAFORGE_PRICES.
	LLM llm.Config
	// PrimaryModel and FallbackModel are DATAFORGE_PRIMARY_MODEL and
	// DATAFORGE_FALLBACK_MODEL; empty ("none" in the environment) leaves the
	// tier out.
	PrimaryModel, FallbackModel string
	// TemporalNamed is set when the environment or a profile names a
	// Temporal server (else -demo runs its own).
	TemporalNamed bool
	// Routing is DATAFORGE_ROUTING or -routing: capability (simple documents
	// start on the smaller model), fixed (every document starts on the
	// primary) or learned (the cheapest model the attempts log proves on
	// documents of the same class and type starts; else as capability).
	// capability and learned are load-aware: a model that struggles or is
	// slow gives way to the other on documents that are not complex.
	Routing string
	// BudgetUSD is DATAFORGE_BUDGET_USD or -budget: the most the models may
	// cost per document, retries and repairs included; 0 for no cap.
	BudgetUSD float64
	// VisionBelow is DATAFORGE_VISION_BELOW or -vision-below: documents read
	// by OCR with a mean word confidence (0-100) below it are sent to
	// vision models with their page images; 0 never.
	VisionBelow float64
	// RateLimits are DATAFORGE_RATE_LIMITS: requests and tokens per minute
	// by model, held by all workers together (see ParseRateLimits).
	RateLimits map[string]store.RateLimit
	// Worker holds what only the worker process uses.
	Worker Worker
}

// Worker is the worker process's part of the configuration; its fields are
// also flags (see RegisterWorkerFlags).
type Worker struct {
	Dev         bool          // -dev: embedded Temporal server and Web UI
	Demo        bool          // -demo: process Samples and print the outcome
	StateDir    string        // -state-dir
	Persistence string        // -persistence: sqlite or postgres
	Port        int           // -port: the embedded frontend
	UIPort      int           // -ui-port
	Samples     string        // -samples
	ReviewSLA   time.Duration // -review-sla
	// PendingGrace is -pending-grace: documents stored without a workflow
	// this long are started by the sweep.
	PendingGrace time.Duration
	ParseMemory  int64  // -parse-memory, MiB
	ParseProcs   int    // -parse-procs
	CodecAddr    string // -codec-addr
	// OCRLanguages is -ocr-languages or DATAFORGE_OCR_LANGUAGES: Tesseract
	// languages joined by +; "none" turns OCR off.
	OCRLanguages string
	// MetricsAddr is -metrics or DATAFORGE_METRICS_ADDR: where Prometheus
	// scrapes /metrics; empty for none.
	MetricsAddr string
	// SimFaults is DATAFORGE_SIM_FAULTS or -sim-faults.
	SimFaults string
	// TemporalDatabaseURL is DATAFORGE_TEMPORAL_DATABASE_URL: where
	// `-dev -persistence postgres` keeps Temporal's state; default the
	// DatabaseURL's server, database <name>_temporal.
	TemporalDatabaseURL string
}

// Load reads the configuration through getenv (os.Getenv in mains).
func Load(getenv func(string) string) (Config, error) {
	or := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	model := func(key, def string) string {
		if v := or(key, def); v != "none" {
			return v
		}
		return ""
	}
	temporal, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{EnvLookup: lookup(getenv)})
	if err != nil {
		return Config{}, fmt.Errorf("temporal client configuration: %w", err)
	}
	named := temporal.HostPort != ""
	if !named {
		temporal.HostPort = DefaultTemporalAddress
	}
	if temporal.Namespace == "" {
		temporal.Namespace = DefaultNamespace
	}
	llmCfg, err := loadLLM(getenv)
	if err != nil {
		return Config{}, err
	}
	budget, err := number(getenv, "DATAFORGE_BUDGET_USD", 0.5, 0, math.Inf(1), "a number of USD, 0 for no cap")
	if err != nil {
		return Config{}, err
	}
	vision, err := number(getenv, "DATAFORGE_VISION_BELOW", 80, 0, 101, "a confidence from 0 to 100")
	if err != nil {
		return Config{}, err
	}
	limits, err := ParseRateLimits(or("DATAFORGE_RATE_LIMITS", DefaultRateLimits))
	if err != nil {
		return Config{}, fmt.Errorf("DATAFORGE_RATE_LIMITS: %w", err)
	}
	return Config{
		RateLimits:    limits,
		Routing:       or("DATAFORGE_ROUTING", "capability"),
		BudgetUSD:     budget,
		VisionBelow:   vision,
		DatabaseURL:   or("DATABASE_URL", DefaultDatabaseURL),
		Temporal:      temporal,
		TaskQueue:     or("DATAFORGE_TASK_QUEUE", "dataforge"),
		UIURL:         or("DATAFORGE_UI_URL", "http://127.0.0.1:8233"),
		Templates:     getenv("DATAFORGE_TEMPLATES"),
		Reviewer:      getenv("DATAFORGE_REVIEWER"),
		CodecKeys:     getenv("DATAFORGE_CODEC_KEYS"),
		CodecKeyFile:  getenv("DATAFORGE_CODEC_KEY_FILE"),
		LLM:           llmCfg,
		PrimaryModel:  model("DATAFORGE_PRIMARY_MODEL", "gpt-4o"),
		FallbackModel: model("DATAFORGE_FALLBACK_MODEL", "gpt-4o-mini"),
		Worker: Worker{
			StateDir: ".dataforge", Persistence: "sqlite", Port: 7233, UIPort: 8233, Samples: "samples",
			ReviewSLA: 24 * time.Hour, PendingGrace: time.Minute,
			ParseMemory: sandbox.DefaultMemory >> 20, ParseProcs: runtime.NumCPU(),
			SimFaults:           getenv("DATAFORGE_SIM_FAULTS"),
			OCRLanguages:        or("DATAFORGE_OCR_LANGUAGES", strings.Join(ocr.DefaultLanguages, "+")),
			MetricsAddr:         getenv("DATAFORGE_METRICS_ADDR"),
			TemporalDatabaseURL: getenv("DATAFORGE_TEMPORAL_DATABASE_URL"),
		},
		TemporalNamed: named,
	}, nil
}

// RegisterWorkerFlags binds the worker's flags to c, with c's values (from
// the environment) as defaults, so a flag overrides its variable.
func (c *Config) RegisterWorkerFlags(fs *flag.FlagSet) {
	w := &c.Worker
	fs.BoolVar(&w.Dev, "dev", w.Dev, "run an embedded Temporal server and Web UI in this process")
	fs.BoolVar(&w.Demo, "demo", w.Demo, "process the sample documents and print their outcome (implies -dev unless TEMPORAL_ADDRESS is set)")
	fs.StringVar(&w.StateDir, "state-dir", w.StateDir, "where -dev keeps the Temporal server's SQLite database and log")
	fs.StringVar(&w.Persistence, "persistence", w.Persistence, "-dev: the embedded server's persistence: sqlite (under -state-dir) or postgres "+
		"(DATAFORGE_TEMPORAL_DATABASE_URL; default: DATABASE_URL's server, database <name>_temporal)")
	fs.IntVar(&w.Port, "port", w.Port, "-dev: Temporal frontend port")
	fs.IntVar(&w.UIPort, "ui-port", w.UIPort, "-dev: Temporal Web UI port")
	fs.StringVar(&w.Samples, "samples", w.Samples, "-demo: the documents to process")
	fs.DurationVar(&w.ReviewSLA, "review-sla", w.ReviewSLA, "how long a review item may wait before it is escalated")
	fs.DurationVar(&w.PendingGrace, "pending-grace", w.PendingGrace, "start documents stored but still without a workflow after this long")
	fs.StringVar(&c.Templates, "templates", c.Templates, "issuer templates for the rules tier (see parsers/TEMPLATES.md; default $DATAFORGE_TEMPLATES)")
	fs.Int64Var(&w.ParseMemory, "parse-memory", w.ParseMemory, "memory ceiling of each parse child process, MiB")
	fs.IntVar(&w.ParseProcs, "parse-procs", w.ParseProcs, "how many documents may be parsed at once (each in a child process)")
	fs.StringVar(&w.OCRLanguages, "ocr-languages", w.OCRLanguages, "Tesseract languages that read scans, joined by +; none: no OCR (scans go to review)")
	fs.StringVar(&w.CodecAddr, "codec-addr", w.CodecAddr, "serve the payload codec over HTTP here for the Web UI (needs codec keys, see README; "+
		"default 127.0.0.1:8234 with -dev and keys, else off)")
	fs.StringVar(&w.MetricsAddr, "metrics", w.MetricsAddr, "serve Prometheus metrics at http://ADDR/metrics, e.g. 127.0.0.1:9090 (default $DATAFORGE_METRICS_ADDR; off when empty)")
	fs.StringVar(&c.Routing, "routing", c.Routing, "capability: simple documents start on the smaller model; fixed: every document starts on the primary; "+
		"learned: the cheapest model the attempts log proves on such documents starts, else as capability; "+
		"capability and learned let a struggling or slow model give way to the other on all but complex documents (default $DATAFORGE_ROUTING)")
	fs.Float64Var(&c.BudgetUSD, "budget", c.BudgetUSD, "most the models may cost per document in USD, retries included; 0: no cap (default $DATAFORGE_BUDGET_USD or 0.50)")
	fs.Float64Var(&c.VisionBelow, "vision-below", c.VisionBelow, "send scans read by OCR with a mean confidence (0-100) below this to vision models with their page images; 0: never (default $DATAFORGE_VISION_BELOW or 80)")
	fs.StringVar(&w.SimFaults, "sim-faults", w.SimFaults,
		"-dev without OPENAI_API_KEY: faults of the LLM simulator, e.g. gpt-4o=unavailable:1,gpt-4o-mini=schema_violation:0.3")
}

// Check reports settings that cannot work together.
func (c Config) Check() error {
	switch c.Worker.Persistence {
	case "sqlite", "postgres":
	default:
		return fmt.Errorf("-persistence %q: want sqlite or postgres", c.Worker.Persistence)
	}
	switch c.Routing {
	case "capability", "fixed", "learned":
	default:
		return fmt.Errorf("-routing %q: want capability, fixed or learned", c.Routing)
	}
	if c.BudgetUSD < 0 {
		return fmt.Errorf("-budget %v: want 0 or more", c.BudgetUSD)
	}
	if c.CodecKeys != "" && c.CodecKeyFile != "" {
		return errors.New("set DATAFORGE_CODEC_KEYS or DATAFORGE_CODEC_KEY_FILE, not both")
	}
	return nil
}

// DefaultRateLimits are OpenAI's tier-1 limits of the default models.
const DefaultRateLimits = "gpt-4o=500/30000,gpt-4o-mini=500/200000"

// ParseRateLimits parses "model=RPM/TPM,…" (0 for no limit of that kind;
// "none" for no limits at all).
func ParseRateLimits(s string) (map[string]store.RateLimit, error) {
	limits := map[string]store.RateLimit{}
	if strings.TrimSpace(s) == "none" {
		return limits, nil
	}
	for entry := range strings.SplitSeq(s, ",") {
		if entry = strings.TrimSpace(entry); entry == "" {
			continue
		}
		model, pair, ok1 := strings.Cut(entry, "=")
		rpm, tpm, ok2 := strings.Cut(pair, "/")
		r, err1 := strconv.Atoi(strings.TrimSpace(rpm))
		t, err2 := strconv.Atoi(strings.TrimSpace(tpm))
		if model = strings.TrimSpace(model); !ok1 || !ok2 || model == "" || err1 != nil || err2 != nil || r < 0 || t < 0 {
			return nil, fmt.Errorf("%q: want model=RPM/TPM, e.g. gpt-4o=500/30000", entry)
		}
		limits[model] = store.RateLimit{RPM: r, TPM: t}
	}
	return limits, nil
}

// number reads the variable key as a number from lo to hi; def when unset.
func number(getenv func(string) string, key string, def, lo, hi float64, want string) (float64, error) {
	v := getenv(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s=%q: want %s", key, v, want)
	}
	return n, nil
}

// loadLLM reads OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_TIMEOUT (a duration
// such as "30s", or seconds) and DATAFORGE_PRICES (see llm.ParsePrices).
// Unset variables leave llm's defaults.
func loadLLM(getenv func(string) string) (llm.Config, error) {
	cfg := llm.Config{APIKey: getenv("OPENAI_API_KEY"), BaseURL: getenv("OPENAI_BASE_URL")}
	if v := getenv("OPENAI_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if s, serr := strconv.ParseFloat(v, 64); err != nil && serr == nil {
			d, err = time.Duration(s*float64(time.Second)), nil
		}
		if err != nil || d <= 0 {
			return llm.Config{}, fmt.Errorf("OPENAI_TIMEOUT=%q: want a positive duration such as 30s", v)
		}
		cfg.Timeout = d
	}
	if v := getenv("DATAFORGE_PRICES"); v != "" {
		p, err := llm.ParsePrices(v)
		if err != nil {
			return llm.Config{}, fmt.Errorf("DATAFORGE_PRICES: %w", err)
		}
		cfg.Prices = p
	}
	return cfg, nil
}

// lookup adapts getenv to the SDK's environment lookup. Variables count as
// set when non-empty; the names of TEMPORAL_GRPC_META_* headers come from
// the process environment, their values through getenv.
type lookup func(string) string

func (g lookup) LookupEnv(key string) (string, bool) {
	v := g(key)
	return v, v != ""
}

func (g lookup) Environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TEMPORAL_GRPC_META_") {
			env = append(env, name+"="+g(name))
		}
	}
	return env
}
