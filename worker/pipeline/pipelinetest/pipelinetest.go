// Package pipelinetest runs the whole pipeline for tests: a real Temporal
// server in-process (temporaltest), a worker with every workflow and
// activity, and a fresh Postgres database.
package pipelinetest

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/internal/store/storetest"
	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/worker/pipeline"
)

// TaskQueue is the queue the test worker polls.
const TaskQueue = "dataforge-test"

// Env is a running pipeline.
type Env struct {
	Store       *store.Store
	DatabaseURL string
	Client      client.Client
	// HostPort and Namespace are the test server's frontend and namespace;
	// the worker polls TaskQueue.
	HostPort, Namespace string
}

// Start starts the pipeline; opts adjust the activities (LLM tiers, say)
// before the worker starts. Everything stops when the test ends.
func Start(t *testing.T, opts ...func(*activities.Activities)) *Env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, dbURL := storetest.New(t)
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	c := ts.GetDefaultClient()
	if err := pipeline.EnsureSearchAttributes(ctx, c, ts.GetDefaultNamespace()); err != nil {
		t.Fatalf("search attributes: %v", err)
	}
	acts := &activities.Activities{Store: st, Limits: parsers.DefaultLimits(), ReviewSLA: time.Hour, CacheTTL: time.Hour}
	for _, o := range opts {
		o(acts)
	}
	w := pipeline.NewWorker(c, TaskQueue, acts)
	if err := w.Start(); err != nil {
		t.Fatalf("worker: %v", err)
	}
	t.Cleanup(w.Stop)
	return &Env{Store: st, DatabaseURL: dbURL, Client: c, HostPort: ts.GetFrontendHostPort(), Namespace: ts.GetDefaultNamespace()}
}
