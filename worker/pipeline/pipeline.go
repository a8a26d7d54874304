// Package pipeline wires DataForge's workflows and activities onto a Temporal
// worker and prepares a namespace for them. The worker main and the
// integration tests share it.
package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	sdkclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/workflows"
)

// NewWorker returns a worker on taskQueue with every workflow and activity
// registered.
func NewWorker(c sdkclient.Client, taskQueue string, acts *activities.Activities) worker.Worker {
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflow(workflows.ProcessDocument)
	w.RegisterActivity(acts)
	return w
}

// EnsureSearchAttributes registers the custom search attributes the workflows
// upsert, skipping those the namespace already has. On a cluster where the
// worker may not administer the namespace, run the equivalent
// `temporal operator search-attribute create` commands (see README) instead.
func EnsureSearchAttributes(ctx context.Context, c sdkclient.Client, namespace string) error {
	ops := c.OperatorService()
	have, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range workflows.SearchAttributes {
		if _, ok := have.GetCustomAttributes()[name]; !ok {
			missing[name] = typ
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	})
	if err != nil {
		return fmt.Errorf("register search attributes: %w", err)
	}
	return nil
}

// ExpireLeases returns review items whose lease ran out to the queue every
// period until ctx is done, so that listings show them as pending again
// (claims also do this on their own when the queue looks empty).
func ExpireLeases(ctx context.Context, st *store.Store, period time.Duration, logger *slog.Logger) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			n, err := st.ExpireLeases(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				logger.Warn("expiring review leases failed", "error", err)
			case n > 0:
				logger.Info("review leases expired; items back in the queue", "items", n)
			}
		}
	}
}

// StartPending starts the documents that were stored but never started (see
// client.Submitter.Sweep), once now and then every period until ctx is done.
func StartPending(ctx context.Context, sub *client.Submitter, period, grace time.Duration, logger *slog.Logger) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		n, err := sub.Sweep(ctx, grace)
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Warn("starting pending documents failed", "error", err)
		case n > 0:
			logger.Info("started documents that were stored but never started", "documents", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
