package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/workflows"
)

// sweepBatch bounds the documents one sweep starts.
const sweepBatch = 500

// Sweep starts the workflow of every document that has been pending for
// longer than grace with no workflow running for it: a crash between
// storing a document and starting its workflow left it so. A document whose
// last run closed while it was pending (requeued for reprocessing, say) is
// processed again. It returns the documents started.
func (s *Submitter) Sweep(ctx context.Context, grace time.Duration) (int, error) {
	docs, err := s.Store.Pending(ctx, grace, sweepBatch)
	if err != nil {
		return 0, fmt.Errorf("pending documents: %w", err)
	}
	started := 0
	for _, doc := range docs {
		in := workflows.Input{DocumentID: doc.ID, Name: doc.Name}
		desc, err := s.Temporal.DescribeWorkflowExecution(ctx, workflows.WorkflowID(doc.ID), "")
		var nf *serviceerror.NotFound
		switch {
		case errors.As(err, &nf):
		case err != nil:
			return started, fmt.Errorf("describe workflow of %s: %w", doc.Name, err)
		case desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
			continue // it will pick the document up
		default:
			in.Reprocess = true // an earlier run ended; this one is a new one
		}
		// The list is a snapshot: a run may have picked the document up and
		// even finished since. Still pending after that run was seen means
		// no run will take it.
		now, err := s.Store.Document(ctx, doc.ID)
		if err != nil {
			return started, err
		}
		if now.Status != dftype.StatusPending {
			continue
		}
		if err := s.start(ctx, doc, in); err != nil {
			return started, err
		}
		started++
	}
	return started, nil
}
