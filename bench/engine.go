package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	sdkclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/dataforge/dataforge/internal/router"
)

// bareWorkflow is the baseline: three no-op activities in a row.
func bareWorkflow(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	for range 3 {
		if err := workflow.ExecuteActivity(ctx, noop).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

func noop(context.Context) error { return nil }

func registerBare(w worker.Worker) {
	w.RegisterWorkflow(bareWorkflow)
	w.RegisterActivityWithOptions(noop, activity.RegisterOptions{Name: "noop"})
}

// workActivities are the pipeline's activities whose time is parsing or a
// model call, not orchestration.
var workActivities = map[string]bool{"Parse": true, "ExtractLLM": true, "RunTask": true}

// engineRow is one kind of run, measured in one or more rounds.
type engineRow struct {
	what     string
	workers  int
	docs     int
	rates    []float64       // documents per second, per round
	orch     []time.Duration // end to end minus parsing and model calls, per document of every round
	timedOut int
}

func (r *engineRow) add(m engineRow) {
	r.rates = append(r.rates, m.rates...)
	r.orch = append(r.orch, m.orch...)
	r.timedOut += m.timedOut
}

const (
	bareRun    = "bare workflow (3 no-op activities)"
	inProcess  = "pipeline, parse in-process"
	sandboxRun = "pipeline, parse in the parse sandbox (as the worker runs it)"
)

// benchEngine measures documents per second through the whole pipeline with
// a zero-latency simulator, next to the bare workflow, with 1 and 2
// workers. The bare workflow and the pipeline alternate, rounds times, so
// that both see the same machine; the ratio is taken per round.
func benchEngine(ctx context.Context, l *lab, w *workload, n, rounds int, rep *report) error {
	rep.section("2. Engine overhead",
		fmt.Sprintf("%d documents started at once, through the whole pipeline with a zero-latency simulator (every document "+
			"completes on the primary), next to a bare workflow of three no-op activities, on the same embedded server in the "+
			"same run; each worker is a Temporal worker with its own client in this process. The bare workflow and the "+
			"pipeline (parse in-process) alternate %d times; the sandboxed pipeline runs once. Orchestration is end to end "+
			"(workflow start to close, from its history) minus the time in parsing and model calls (Parse, ExtractLLM, RunTask), "+
			"over the documents of every round.", n, rounds))
	var out [][]string
	for _, workers := range []int{1, 2} {
		bare := engineRow{what: bareRun, workers: workers, docs: n}
		pipe := engineRow{what: inProcess, workers: workers, docs: n}
		var ratios []float64
		for round := range rounds {
			l.progress("engine: %d worker(s), round %d: bare workflow", workers, round+1)
			b, err := runBare(ctx, l, n, workers)
			if err != nil {
				return err
			}
			l.progress("engine: %d worker(s), round %d: pipeline", workers, round+1)
			p, err := runPipeline(ctx, l, w, n, workers, true)
			if err != nil {
				return err
			}
			bare.add(b)
			pipe.add(p)
			ratios = append(ratios, p.rates[0]/b.rates[0])
		}
		l.progress("engine: %d worker(s): sandboxed pipeline", workers)
		sb, err := runPipeline(ctx, l, w, n, workers, false)
		if err != nil {
			return err
		}
		for _, r := range []engineRow{bare, pipe, sb} {
			out = append(out, []string{r.what, fmt.Sprint(r.workers), fmt.Sprint(r.docs), rates(r.rates),
				fmt.Sprintf("%.1f", median(r.rates)), ms(percentile(r.orch, 0.5)), ms(percentile(r.orch, 0.99)), fmt.Sprint(r.timedOut)})
		}
		rep.note(fmt.Sprintf("%d worker(s): the pipeline (parse in-process) runs at %.2f× the bare workflow's rate "+
			"(median of the rounds' ratios %s).", workers, median(ratios), rates(ratios)))
	}
	rep.table([]string{"workflow", "workers", "documents", "documents/s by round", "documents/s (median)",
		"orchestration p50", "orchestration p99", "not done"}, out)
	return nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func rates(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(parts, ", ")
}

func runBare(ctx context.Context, l *lab, n, workers int) (engineRow, error) {
	r, err := l.newRun(ctx, "bare", setup{Workers: workers, Register: registerBare})
	if err != nil {
		return engineRow{}, err
	}
	defer r.close()
	c := r.clients[0]
	start := time.Now()
	runs := make([]sdkclient.WorkflowRun, n)
	for i := range runs {
		runs[i], err = c.ExecuteWorkflow(ctx, sdkclient.StartWorkflowOptions{
			ID: fmt.Sprintf("bare-%d-%d", l.runs, i), TaskQueue: r.TaskQueue}, bareWorkflow)
		if err != nil {
			return engineRow{}, err
		}
	}
	for _, wr := range runs {
		if err := wr.Get(ctx, nil); err != nil {
			return engineRow{}, err
		}
	}
	row := engineRow{what: bareRun, workers: workers, docs: n, rates: []float64{float64(n) / time.Since(start).Seconds()}}
	for _, wr := range runs {
		d, err := orchestration(ctx, c, wr.GetID())
		if err != nil {
			return row, err
		}
		row.orch = append(row.orch, d)
	}
	return row, nil
}

func runPipeline(ctx context.Context, l *lab, w *workload, n, workers int, parseInProcess bool) (engineRow, error) {
	what := sandboxRun
	if parseInProcess {
		what = inProcess
	}
	models := unlimited()
	for name, m := range models {
		m.LatencyMean, m.LatencyJitter = 0, 0
		models[name] = m
	}
	route := router.Config{PrimaryModel: primary, FallbackModel: smaller, ClassifyBelow: 0.6, Breaker: router.DefaultBreaker}
	r, err := l.newRun(ctx, what, setup{Models: models, Answer: w.answer, Route: route, Workers: workers, InProcess: parseInProcess})
	if err != nil {
		return engineRow{}, err
	}
	defer r.close()
	b, err := r.writeBatch(w, n)
	if err != nil {
		return engineRow{}, err
	}
	out, err := r.submitPaced(ctx, b, 0, 10*time.Minute)
	if out == nil {
		return engineRow{}, err
	}
	row := engineRow{what: what, workers: workers, docs: n, rates: []float64{float64(n) / out.wall.Seconds()}}
	for _, rp := range out.reports {
		if rp.Status != "completed" {
			row.timedOut++
			continue
		}
		d, err := orchestration(ctx, r.clients[0], "doc-"+rp.DocumentID)
		if err != nil {
			return row, err
		}
		row.orch = append(row.orch, d)
	}
	return row, nil
}

// orchestration reads a closed workflow's history: its time from start to
// close minus the time its work activities ran.
func orchestration(ctx context.Context, c sdkclient.Client, workflowID string) (time.Duration, error) {
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var first, last time.Time
	types := map[int64]string{}      // scheduled event id → activity type
	started := map[int64]time.Time{} // scheduled event id → start
	var work time.Duration
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return 0, err
		}
		at := e.GetEventTime().AsTime()
		if first.IsZero() {
			first = at
		}
		last = at
		var scheduled int64
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			types[e.GetEventId()] = e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			started[e.GetActivityTaskStartedEventAttributes().GetScheduledEventId()] = at
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			scheduled = e.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
			scheduled = e.GetActivityTaskFailedEventAttributes().GetScheduledEventId()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
			scheduled = e.GetActivityTaskTimedOutEventAttributes().GetScheduledEventId()
		}
		if scheduled != 0 && workActivities[types[scheduled]] {
			work += at.Sub(started[scheduled])
		}
	}
	return last.Sub(first) - work, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }
