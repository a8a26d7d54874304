// Package client is how documents enter DataForge and how their workflows are
// followed: it stores documents and starts (or attaches to) their workflows,
// waits for them, and reports their outcome. The starter CLI, the worker's
// demo mode and its pending sweep use it.
package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	sdkclient "go.temporal.io/sdk/client"

	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/einvoice"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/workflows"
)

// Submitter submits documents.
type Submitter struct {
	Store    *store.Store
	Temporal sdkclient.Client
	// TaskQueue is where workflows are started.
	TaskQueue string
	// Namespace and UIURL make the links to the Temporal Web UI in reports;
	// no links when UIURL is empty.
	Namespace, UIURL string
	// MaxBytes rejects larger files at submit time.
	MaxBytes int64
}

// Options change how documents are submitted.
type Options struct {
	// Reprocess runs documents again even when they have a terminal state.
	Reprocess bool
	// ReviewSLA is passed to the workflow; 0 keeps its default.
	ReviewSLA time.Duration
	// Summarize asks for a summary of each document.
	Summarize bool
	// Fallbacks lists the optional tasks whose predefined fallback result
	// is accepted instead of review.
	Fallbacks []schema.Task
	// Concurrency is how many files are submitted at once; 0 means
	// DefaultConcurrency.
	Concurrency int
	// Progress, when set, is called after each file submitted with the
	// count so far, one call at a time.
	Progress func(done, total int)
}

// DefaultConcurrency is how many files Submit submits at once unless told.
const DefaultConcurrency = 8

// Item is one submitted file.
type Item struct {
	Path       string `json:"path"`
	Name       string `json:"name"`
	DocumentID string `json:"document_id,omitempty"`
	WorkflowID string `json:"workflow_id,omitempty"`
	// Existing is set when the content was already processed and its
	// stored result is reported instead of processing it again.
	Existing bool `json:"existing,omitempty"`
	// Started is set once the workflow runs (or ran) for the document: the
	// file is accepted.
	Started bool `json:"started"`
	// Err is why the file was not accepted; nothing was started for it.
	Err error `json:"-"`
}

// ErrNotSubmitted is the Err of the files a submission did not reach because
// it stopped at an earlier one.
var ErrNotSubmitted = errors.New("not submitted: the submission stopped before this file")

// InputError is a file that cannot be accepted; Path names it.
type InputError struct {
	Path  string
	Cause string
}

func (e *InputError) Error() string { return e.Path + ": " + e.Cause }

// documentExts are the file endings a directory or glob expands to.
var documentExts = map[string]bool{".pdf": true, ".txt": true, ".text": true, ".xml": true,
	".png": true, ".jpg": true, ".jpeg": true}

// submittable are the media types Parse reads (images through OCR).
var submittable = map[string]bool{parsers.MediaPDF: true, parsers.MediaText: true, parsers.MediaXML: true,
	parsers.MediaPNG: true, parsers.MediaJPEG: true}

// Expand turns FILE, DIR and GLOB arguments into file paths. Directories are
// walked for .pdf, .txt, .xml, .png and .jpg files; files named directly are
// always included.
func Expand(args []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, arg := range args {
		matches := []string{arg}
		if strings.ContainsAny(arg, "*?[") {
			m, err := filepath.Glob(arg)
			if err != nil {
				return nil, fmt.Errorf("bad pattern %q: %w", arg, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("%s: no files match", arg)
			}
			matches = m
		}
		for _, p := range matches {
			info, err := os.Stat(p)
			if err != nil || !info.IsDir() {
				if err == nil || len(matches) == 1 {
					add(p) // a named file; unreadable ones fail at submit with their cause
				}
				continue
			}
			var found []string
			err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if !d.IsDir() && documentExts[strings.ToLower(filepath.Ext(path))] {
					found = append(found, path)
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
			sort.Strings(found)
			for _, f := range found {
				add(f)
			}
		}
	}
	return out, nil
}

// Submit stores each file and starts its workflow, or attaches to the one
// already running for the same content, opts.Concurrency files at a time,
// taken in the order of paths. Files that cannot be accepted get an Err and
// nothing else happens to them. The returned error is for failures that
// stop the whole submission (Postgres or Temporal down, ctx cancelled): no
// file is taken after it, and the files already taken finish, so each file
// is either accepted (Started) or has an Err saying why not: its own failure,
// or ErrNotSubmitted when it was never taken. Every file before the one that
// stopped it was taken. The error returned is that of the first file, in the
// order of paths, that stopped it. The items are returned in every case, in
// the order of paths.
func (s *Submitter) Submit(ctx context.Context, paths []string, opts Options) ([]*Item, error) {
	items := make([]*Item, len(paths))
	for i, p := range paths {
		items[i] = &Item{Path: p, Name: filepath.Base(p), Err: ErrNotSubmitted}
	}
	var (
		mu           sync.Mutex
		next, done   int
		stopAt, stop = len(items), error(nil)
	)
	// take returns the index of the next file to submit, or -1 when none
	// is left or the submission stopped.
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		if next == len(items) || stop != nil {
			return -1
		}
		next++
		return next - 1
	}
	finish := func(i int, err error) {
		mu.Lock()
		defer mu.Unlock()
		items[i].Err = err
		var ie *InputError
		if err != nil && !errors.As(err, &ie) && i < stopAt {
			stopAt, stop = i, err
		}
		done++
		if opts.Progress != nil {
			opts.Progress(done, len(items))
		}
	}
	workers := opts.Concurrency
	if workers <= 0 {
		workers = DefaultConcurrency
	}
	var wg sync.WaitGroup
	for range min(workers, len(items)) {
		wg.Go(func() {
			for i := take(); i >= 0; i = take() {
				finish(i, s.submit(ctx, items[i], opts))
			}
		})
	}
	wg.Wait()
	return items, stop
}

// submit stores one file and starts its workflow. An *InputError refuses
// the file alone; other errors stop the submission.
func (s *Submitter) submit(ctx context.Context, it *Item, opts Options) error {
	content, mediaType, err := s.read(it.Path)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(content)
	it.DocumentID = hex.EncodeToString(sum[:])
	it.WorkflowID = workflows.WorkflowID(it.DocumentID)
	doc := &store.Document{ID: it.DocumentID, Name: it.Name, MediaType: mediaType, Content: content}
	created, err := s.Store.PutDocument(ctx, doc)
	if err != nil {
		return err
	}
	if !created {
		// The content was stored before: its status says what to do. A
		// new row is pending and needs no reading back.
		if doc, err = s.Store.Document(ctx, it.DocumentID); err != nil {
			return err
		}
	}
	if doc.Status.Terminal() {
		if !opts.Reprocess {
			it.Existing, it.Started = true, true
			return nil
		}
		// The run that made the document terminal may still be finishing;
		// a start now would attach to it, and the requeued document would
		// never settle. Wait until it has closed.
		if err := s.Temporal.GetWorkflow(ctx, it.WorkflowID, "").Get(ctx, nil); err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
		if _, err := s.Store.Requeue(ctx, it.DocumentID); err != nil {
			return err
		}
	}
	doc.Size = int64(len(content))
	if err := s.start(ctx, doc, workflows.Input{
		DocumentID: it.DocumentID, Name: it.Name, Reprocess: opts.Reprocess, ReviewSLA: opts.ReviewSLA,
		Summarize: opts.Summarize, Fallbacks: opts.Fallbacks,
	}); err != nil {
		return err
	}
	it.Started = true
	return nil
}

// start starts a stored document's workflow, or attaches to the one
// already running for it.
func (s *Submitter) start(ctx context.Context, doc *store.Document, in workflows.Input) error {
	_, err := s.Temporal.ExecuteWorkflow(ctx, sdkclient.StartWorkflowOptions{
		ID:                       workflows.WorkflowID(doc.ID),
		TaskQueue:                s.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:            doc.Name,
		StaticDetails:            fmt.Sprintf("%s, %d bytes, sha256 %s", doc.MediaType, doc.Size, doc.ID),
	}, workflows.ProcessDocument, in)
	if err != nil {
		return fmt.Errorf("start workflow for %s: %w", doc.Name, err)
	}
	return nil
}

// read loads a file and checks what can be known before processing: that it
// is readable, not empty, not too large and of a supported type.
func (s *Submitter) read(path string) ([]byte, string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, "", &InputError{Path: path, Cause: "cannot read: " + unwrapPathError(err)}
	}
	if info.IsDir() {
		return nil, "", &InputError{Path: path, Cause: "is a directory"}
	}
	if s.MaxBytes > 0 && info.Size() > s.MaxBytes {
		return nil, "", &InputError{Path: path, Cause: fmt.Sprintf("too large: %d bytes, the limit is %d", info.Size(), s.MaxBytes)}
	}
	content, err := os.ReadFile(path)
	if err != nil {
		return nil, "", &InputError{Path: path, Cause: "cannot read: " + unwrapPathError(err)}
	}
	if len(strings.TrimSpace(string(content))) == 0 {
		return nil, "", &InputError{Path: path, Cause: "empty file"}
	}
	mediaType := parsers.DetectMediaType(path, content)
	switch {
	case mediaType == parsers.MediaXML && einvoice.Sniff(content) == "":
		return nil, "", &InputError{Path: path, Cause: "XML that is not an e-invoice (want CII or UBL: Factur-X, ZUGFeRD, XRechnung)"}
	case !submittable[mediaType]:
		return nil, "", &InputError{Path: path, Cause: "unsupported type " + mediaType +
			" (want PDF, plain text, a CII/UBL e-invoice, or a PNG/JPEG scan)"}
	}
	return content, mediaType, nil
}

func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Settled reports whether a document needs no more automated work: it ended,
// or waits for a reviewer.
func Settled(s dftype.Status) bool { return s.Terminal() || s == dftype.StatusReview }

// Wait polls Postgres until every accepted item is settled, calling progress
// (when non-nil) with the count settled so far.
func (s *Submitter) Wait(ctx context.Context, items []*Item, progress func(done, total int)) error {
	var ids []string
	for _, it := range items {
		if it.Err == nil {
			ids = append(ids, it.DocumentID)
		}
	}
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	for {
		docs, err := s.Store.Documents(ctx, ids)
		if err != nil {
			return err
		}
		done := 0
		for _, d := range docs {
			if Settled(d.Status) {
				done++
			}
		}
		if progress != nil {
			progress(done, len(ids))
		}
		if done == len(ids) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d of %d documents: %w", len(ids)-done, len(ids), ctx.Err())
		case <-tick.C:
		}
	}
}

// Review sends a reviewer's decision to the document's waiting workflow (the
// review Update) and returns the workflow's result once it is recorded. The
// Update's validator refuses invalid fields before anything changes.
func (s *Submitter) Review(ctx context.Context, workflowID string, d workflows.ReviewDecision) (*workflows.Result, error) {
	handle, err := s.Temporal.UpdateWorkflow(ctx, sdkclient.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: workflows.UpdateReview,
		Args: []any{d}, WaitForStage: sdkclient.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return nil, err
	}
	var res workflows.Result
	return &res, handle.Get(ctx, &res)
}

// Redrive sends the document waiting in review through the automated tiers
// again (the redrive Update), on behalf of reviewer.
func (s *Submitter) Redrive(ctx context.Context, workflowID, reviewer string) error {
	handle, err := s.Temporal.UpdateWorkflow(ctx, sdkclient.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: workflows.UpdateRedrive,
		Args: []any{reviewer}, WaitForStage: sdkclient.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return err
	}
	return handle.Get(ctx, nil)
}
