// Package metrics exposes a worker's metrics to Prometheus: the Temporal
// SDK's own (workflow and activity task latencies, polls, failures…, through
// the SDK's OpenTelemetry handler) and DataForge's: documents by outcome and
// tier, attempts by model and error class, LLM latency, tokens and cost,
// rate-limit waits, the review queue's depth and oldest age, and each
// model's circuit breaker. Each worker process serves its own; Prometheus
// sums them.
package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
)

// Queue reads the review queue's depth and its oldest pending item's age.
type Queue func(ctx context.Context) (pending, claimed, overdue int, oldest time.Duration, err error)

// Breakers reads each model's circuit breaker state (closed, open,
// half_open).
type Breakers func(ctx context.Context) (map[string]string, error)

// Metrics records DataForge's metrics. A nil *Metrics records nothing, so
// code paths need no checks.
type Metrics struct {
	registry  *prometheus.Registry
	provider  *sdkmetric.MeterProvider
	sdk       client.MetricsHandler
	documents metric.Int64Counter
	attempts  metric.Int64Counter
	latency   metric.Float64Histogram
	tokens    metric.Int64Counter
	cost      metric.Float64Counter
	waits     metric.Float64Histogram
}

// New sets up the instruments; the queue and breaker gauges read q and b at
// each scrape (either may be nil).
func New(q Queue, b Breakers, logger *slog.Logger) (*Metrics, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	meter := provider.Meter("dataforge")
	m := &Metrics{registry: reg, provider: provider}
	m.sdk = temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter:                provider.Meter("temporal-sdk-go"),
		UseMonotonicCounters: true,
		OnError:              func(err error) { logger.Warn("temporal sdk metric", "error", err) },
	})
	if m.documents, err = meter.Int64Counter("dataforge_documents",
		metric.WithDescription("documents settled, by outcome (completed, review, rejected) and tier")); err != nil {
		return nil, err
	}
	if m.attempts, err = meter.Int64Counter("dataforge_attempts",
		metric.WithDescription("tier attempts by task, tier, model, outcome and error class")); err != nil {
		return nil, err
	}
	if m.latency, err = meter.Float64Histogram("dataforge_attempt_duration", metric.WithUnit("s"),
		metric.WithDescription("attempt latency by task, tier and model"),
		metric.WithExplicitBucketBoundaries(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)); err != nil {
		return nil, err
	}
	if m.tokens, err = meter.Int64Counter("dataforge_llm_tokens",
		metric.WithDescription("tokens by model and kind (prompt, completion)")); err != nil {
		return nil, err
	}
	if m.cost, err = meter.Float64Counter("dataforge_llm_cost_usd",
		metric.WithDescription("model cost in USD by task and model")); err != nil {
		return nil, err
	}
	if m.waits, err = meter.Float64Histogram("dataforge_rate_limit_wait", metric.WithUnit("s"),
		metric.WithDescription("time each model call waited for the workers' shared rate limit, by model"),
		metric.WithExplicitBucketBoundaries(0.01, 0.1, 0.5, 1, 2.5, 5, 10, 20)); err != nil {
		return nil, err
	}
	gauge := func(name, desc string) (metric.Int64ObservableGauge, error) {
		return meter.Int64ObservableGauge(name, metric.WithDescription(desc))
	}
	depth, err := gauge("dataforge_review_queue_items", "review items by state (pending, claimed) and overdue ones")
	if err != nil {
		return nil, err
	}
	oldest, err := meter.Float64ObservableGauge("dataforge_review_queue_oldest_pending", metric.WithUnit("s"),
		metric.WithDescription("age of the oldest pending review item"))
	if err != nil {
		return nil, err
	}
	breaker, err := gauge("dataforge_circuit_breaker", "1 for each model's current breaker state (closed, open, half_open)")
	if err != nil {
		return nil, err
	}
	if b != nil {
		_, err = meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			states, err := b(ctx)
			if err != nil {
				return err
			}
			for model, state := range states {
				o.ObserveInt64(breaker, 1, metric.WithAttributes(attribute.String("model", model), attribute.String("state", state)))
			}
			return nil
		}, breaker)
		if err != nil {
			return nil, err
		}
	}
	if q != nil {
		_, err = meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			pending, claimed, overdue, age, err := q(ctx)
			if err != nil {
				return err // the gauges are left out of this scrape
			}
			o.ObserveInt64(depth, int64(pending), metric.WithAttributes(attribute.String("state", "pending")))
			o.ObserveInt64(depth, int64(claimed), metric.WithAttributes(attribute.String("state", "claimed")))
			o.ObserveInt64(depth, int64(overdue), metric.WithAttributes(attribute.String("state", "overdue")))
			o.ObserveFloat64(oldest, age.Seconds())
			return nil
		}, depth, oldest)
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// SDKHandler is the Temporal client's metrics handler (client.Options.MetricsHandler).
func (m *Metrics) SDKHandler() client.MetricsHandler { return m.sdk }

// Shutdown flushes and stops the instruments.
func (m *Metrics) Shutdown(ctx context.Context) error { return m.provider.Shutdown(ctx) }

// Attempt records one tier attempt.
func (m *Metrics) Attempt(ctx context.Context, a Attempt) {
	if m == nil {
		return
	}
	base := []attribute.KeyValue{attribute.String("task", a.Task), attribute.String("tier", a.Tier), attribute.String("model", a.Model)}
	m.attempts.Add(ctx, 1, metric.WithAttributes(append(base,
		attribute.String("outcome", a.Outcome), attribute.String("error_class", a.ErrorClass))...))
	m.latency.Record(ctx, a.Latency.Seconds(), metric.WithAttributes(base...))
	if a.Model == "" {
		return
	}
	model := attribute.String("model", a.Model)
	m.tokens.Add(ctx, int64(a.PromptTokens), metric.WithAttributes(model, attribute.String("kind", "prompt")))
	m.tokens.Add(ctx, int64(a.CompletionTokens), metric.WithAttributes(model, attribute.String("kind", "completion")))
	m.cost.Add(ctx, a.CostUSD, metric.WithAttributes(attribute.String("task", a.Task), model))
}

// RateLimitWait records how long a model call waited for the shared rate
// limit (0 when it did not).
func (m *Metrics) RateLimitWait(ctx context.Context, model string, d time.Duration) {
	if m == nil {
		return
	}
	m.waits.Record(ctx, d.Seconds(), metric.WithAttributes(attribute.String("model", model)))
}

// Attempt is what Metrics.Attempt records of an attempt.
type Attempt struct {
	Task, Tier, Model, Outcome, ErrorClass string
	Latency                                time.Duration
	PromptTokens, CompletionTokens         int
	CostUSD                                float64
}

// Document records a document that settled: outcome completed, review or
// rejected, and the tier that completed it (empty otherwise).
func (m *Metrics) Document(ctx context.Context, outcome, tier string) {
	if m == nil {
		return
	}
	m.documents.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", outcome), attribute.String("tier", tier)))
}
