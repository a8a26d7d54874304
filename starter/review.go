package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/dataforge/dataforge/dftype"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	sdkclient "go.temporal.io/sdk/client"

	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/workflows"
)

const reviewUsage = `usage: starter review <command> [flags]

commands:
  list                 items in the queue (--state, --type, --reason, --older-than, --limit)
  next                 claim the most urgent item and show it (--lease, --type, --reason)
  show ITEM            an item, its document's text and its audit log
  submit ITEM          complete an item you hold (--fields FILE.json, --set name=value ...,
                       --type to correct the document type)
  reject ITEM          reject an item you hold (--reason)
  release ITEM         give an item you hold back to the queue
  extend ITEM          renew your lease (--lease)
  retry --reason CODE  send pending items with that reason through the automated tiers again

ITEM is a review item number or a document id, prefix or file. The reviewer is --reviewer
or DATAFORGE_REVIEWER (required for next, submit, reject, release, extend, retry).
`

func cmdReview(ctx context.Context, args []string, e *env) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, reviewUsage)
		return usagef("name a review command")
	}
	commands := map[string]func(context.Context, []string, *env) error{
		"list": reviewList, "next": reviewNext, "show": reviewShow, "submit": reviewSubmit,
		"reject": reviewReject, "release": reviewRelease, "extend": reviewExtend, "retry": reviewRetry,
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprint(e.stderr, reviewUsage)
		return usagef("unknown review command %q", args[0])
	}
	return cmd(ctx, args[1:], e)
}

// reviewFlags adds --reviewer to a flag set.
func reviewFlags(name string, e *env) (*flag.FlagSet, *string, *string) {
	fs, output := newFlags("review "+name, e)
	reviewer := fs.String("reviewer", e.getenv("DATAFORGE_REVIEWER"), "who is reviewing (default $DATAFORGE_REVIEWER)")
	return fs, output, reviewer
}

func requireReviewer(r string) error {
	if strings.TrimSpace(r) == "" {
		return usagef("say who you are: --reviewer NAME or DATAFORGE_REVIEWER")
	}
	return nil
}

// item finds the review item a reference names.
func item(ctx context.Context, st *store.Store, ref string) (*store.ReviewItem, error) {
	if n, err := strconv.ParseInt(ref, 10, 64); err == nil && len(ref) < 6 {
		return st.ReviewItem(ctx, n)
	}
	id, err := resolve(ctx, st, ref)
	if err != nil {
		return nil, err
	}
	return st.ReviewItemByDocument(ctx, id)
}

func reviewList(ctx context.Context, args []string, e *env) error {
	fs, output := newFlags("review list", e)
	var f store.ReviewFilter
	fs.StringVar(&f.State, "state", "", "pending, claimed, completed, rejected or redriven")
	fs.StringVar(&f.DocType, "type", "", "document type")
	fs.StringVar(&f.Reason, "reason", "", "reason code (e.g. low_confidence, RateLimited, encrypted)")
	fs.DurationVar(&f.OlderThan, "older-than", 0, "only items waiting at least this long")
	fs.IntVar(&f.Limit, "limit", 100, "at most this many items")
	if _, err := parse(fs, output, args); err != nil {
		return err
	}
	sub, closeAll, err := connect(ctx, e, false)
	if err != nil {
		return err
	}
	defer closeAll()
	items, err := sub.Store.ListReview(ctx, f)
	if err != nil {
		return err
	}
	if *output == "json" {
		return writeJSON(e.stdout, items)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ITEM\tDOCUMENT\tTYPE\tSTATE\tPRIORITY\tAGE\tREASONS\tCLAIMED BY")
	for _, it := range items {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", it.ID, it.DocumentName, it.DocType, it.State, it.Priority,
			time.Since(it.CreatedAt).Round(time.Second), strings.Join(dftype.ReasonCodes(it.Reasons), ","), it.ClaimedBy)
	}
	return tw.Flush()
}

// itemView is an item as next and show print it.
type itemView struct {
	*store.ReviewItem
	File   string               `json:"file"`
	Text   string               `json:"text,omitempty"`
	Events []*store.ReviewEvent `json:"events,omitempty"`
}

func showItem(ctx context.Context, st *store.Store, it *store.ReviewItem, output string, e *env) error {
	v := itemView{ReviewItem: it}
	doc, err := st.Content(ctx, it.DocumentID)
	if err != nil {
		return err
	}
	dir := filepath.Join(os.TempDir(), "dataforge-review", it.DocumentID[:12])
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	v.File = filepath.Join(dir, filepath.Base(doc.Name))
	if err := os.WriteFile(v.File, doc.Content, 0o600); err != nil {
		return err
	}
	if v.Text, err = st.Text(ctx, it.DocumentID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if v.Events, err = st.ReviewEvents(ctx, it.ID); err != nil {
		return err
	}
	if output == "json" {
		return writeJSON(e.stdout, v)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "item\t%d (%s)\n", it.ID, it.State)
	fmt.Fprintf(tw, "document\t%s (%s)\n", it.DocumentName, it.DocumentID)
	fmt.Fprintf(tw, "file\t%s\n", v.File)
	fmt.Fprintf(tw, "type\t%s\n", it.DocType)
	fmt.Fprintf(tw, "priority\t%d (due %s)\n", it.Priority, it.DueAt.Format(time.RFC3339))
	if it.ClaimedBy != "" && it.LeaseExpiresAt != nil {
		fmt.Fprintf(tw, "claimed by\t%s until %s\n", it.ClaimedBy, it.LeaseExpiresAt.Format(time.RFC3339))
	}
	for _, r := range it.Reasons {
		fmt.Fprintf(tw, "reason\t%s: %s %s\n", r.Tier, r.Code, r.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(it.PartialFields) > 0 {
		var pretty any
		_ = json.Unmarshal(it.PartialFields, &pretty)
		b, _ := json.MarshalIndent(pretty, "", "  ")
		fmt.Fprintf(e.stdout, "\npartial fields (the best a tier found):\n%s\n", b)
	}
	if v.Text == "" {
		fmt.Fprintln(e.stdout, "\n(no text layer: open the file)")
	} else {
		fmt.Fprintf(e.stdout, "\n----- text -----\n%s\n----- end -----\n", v.Text)
	}
	fmt.Fprintln(e.stdout, "\nevents:")
	for _, ev := range v.Events {
		fmt.Fprintf(e.stdout, "  %s  %-13s %s\n", ev.At.Format(time.RFC3339), ev.Action, ev.Actor)
	}
	return nil
}

func reviewNext(ctx context.Context, args []string, e *env) error {
	fs, output, reviewer := reviewFlags("next", e)
	lease := fs.Duration("lease", 15*time.Minute, "how long the claim holds")
	var f store.ClaimFilter
	fs.StringVar(&f.DocType, "type", "", "only this document type")
	fs.StringVar(&f.Reason, "reason", "", "only items with this reason code")
	if _, err := parse(fs, output, args); err != nil {
		return err
	}
	if err := requireReviewer(*reviewer); err != nil {
		return err
	}
	sub, closeAll, err := connect(ctx, e, false)
	if err != nil {
		return err
	}
	defer closeAll()
	it, err := sub.Store.Claim(ctx, *reviewer, *lease, f)
	if err != nil {
		return err
	}
	return showItem(ctx, sub.Store, it, *output, e)
}

func reviewShow(ctx context.Context, args []string, e *env) error {
	fs, output := newFlags("review show", e)
	args, err := parse(fs, output, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return usagef("name one item")
	}
	sub, closeAll, err := connect(ctx, e, false)
	if err != nil {
		return err
	}
	defer closeAll()
	it, err := item(ctx, sub.Store, args[0])
	if err != nil {
		return err
	}
	return showItem(ctx, sub.Store, it, *output, e)
}

// setFlags collects repeated --set name=value.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, ",") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

// reviewedFields builds the reviewer's fields: the item's partial fields,
// then the JSON file, then each --set, and validates them.
func reviewedFields(it *store.ReviewItem, file string, sets []string) (*schema.Fields, error) {
	fields := map[string]any{}
	zero, _ := json.Marshal(schema.Fields{})
	if err := json.Unmarshal(zero, &fields); err != nil {
		return nil, err
	}
	if len(it.PartialFields) > 0 {
		if err := json.Unmarshal(it.PartialFields, &fields); err != nil {
			return nil, err
		}
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		var fromFile map[string]any
		if err := json.Unmarshal(b, &fromFile); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		for k, v := range fromFile {
			fields[k] = v
		}
	}
	for _, kv := range sets {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, usagef("--set wants name=value, got %q", kv)
		}
		switch k {
		case "subtotal", "tax", "total":
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, usagef("--set %s: %q is not a number", k, v)
			}
			fields[k] = n
		default:
			fields[k] = v
		}
	}
	raw, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	docType, err := schema.ParseDocType(it.DocType)
	if err != nil {
		return nil, err
	}
	return schema.Validate(docType, raw)
}

// holding checks that the reviewer holds a live claim on the item.
func holding(it *store.ReviewItem, reviewer string) error {
	if it.State != store.ReviewClaimed || it.ClaimedBy != reviewer || it.LeaseExpiresAt == nil || it.LeaseExpiresAt.Before(time.Now()) {
		return fmt.Errorf("item %d is %s (claimed by %q); claim it first with `starter review next`", it.ID, it.State, it.ClaimedBy)
	}
	return nil
}

func decide(ctx context.Context, sub *client.Submitter, it *store.ReviewItem, d workflows.ReviewDecision) (*workflows.Result, error) {
	handle, err := sub.Temporal.UpdateWorkflow(ctx, sdkclient.UpdateWorkflowOptions{
		WorkflowID: it.WorkflowID, UpdateName: workflows.UpdateReview,
		Args: []any{d}, WaitForStage: sdkclient.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return nil, err
	}
	var res workflows.Result
	return &res, handle.Get(ctx, &res)
}

// openItem finishes parsing a command that names one item for a reviewer:
// it checks the arguments and the reviewer, connects, and finds the item.
// The caller closes the returned function.
func openItem(ctx context.Context, fs *flag.FlagSet, output, reviewer *string, args []string, e *env, withTemporal bool) (*client.Submitter, *store.ReviewItem, func(), error) {
	args, err := parse(fs, output, args)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(args) != 1 {
		return nil, nil, nil, usagef("name one item")
	}
	if err := requireReviewer(*reviewer); err != nil {
		return nil, nil, nil, err
	}
	sub, closeAll, err := connect(ctx, e, withTemporal)
	if err != nil {
		return nil, nil, nil, err
	}
	it, err := item(ctx, sub.Store, args[0])
	if err != nil {
		closeAll()
		return nil, nil, nil, err
	}
	return sub, it, closeAll, nil
}

func reviewSubmit(ctx context.Context, args []string, e *env) error {
	fs, output, reviewer := reviewFlags("submit", e)
	file := fs.String("fields", "", "a JSON file with the fields")
	var sets setFlags
	fs.Var(&sets, "set", "name=value for one field (repeatable), e.g. --set total=121.00")
	docType := fs.String("type", "", "correct the document's type (invoice, receipt, other)")
	sub, it, closeAll, err := openItem(ctx, fs, output, reviewer, args, e, true)
	if err != nil {
		return err
	}
	defer closeAll()
	if err := holding(it, *reviewer); err != nil {
		return err
	}
	if *docType != "" {
		if _, err := schema.ParseDocType(*docType); err != nil {
			return usagef("--type: %v", err)
		}
		it.DocType = *docType
	}
	fields, err := reviewedFields(it, *file, sets)
	if err != nil {
		return err
	}
	res, err := decide(ctx, sub, it, workflows.ReviewDecision{Reviewer: *reviewer, Fields: fields, DocType: *docType})
	if err != nil {
		return err
	}
	return printDecision(e, *output, it, res)
}

func reviewReject(ctx context.Context, args []string, e *env) error {
	fs, output, reviewer := reviewFlags("reject", e)
	reason := fs.String("reason", "", "why the document is rejected (required)")
	sub, it, closeAll, err := openItem(ctx, fs, output, reviewer, args, e, true)
	if err != nil {
		return err
	}
	defer closeAll()
	if strings.TrimSpace(*reason) == "" {
		return usagef("--reason is required")
	}
	if err := holding(it, *reviewer); err != nil {
		return err
	}
	res, err := decide(ctx, sub, it, workflows.ReviewDecision{Reviewer: *reviewer, Reject: true, Reason: *reason})
	if err != nil {
		return err
	}
	return printDecision(e, *output, it, res)
}

func printDecision(e *env, output string, it *store.ReviewItem, res *workflows.Result) error {
	if output == "json" {
		return writeJSON(e.stdout, res)
	}
	fmt.Fprintf(e.stdout, "item %d: %s is %s\n", it.ID, it.DocumentName, res.Status)
	return nil
}

func reviewRelease(ctx context.Context, args []string, e *env) error {
	return holderCommand(ctx, "release", args, e, nil)
}

func reviewExtend(ctx context.Context, args []string, e *env) error {
	lease := new(time.Duration)
	return holderCommand(ctx, "extend", args, e, lease)
}

// holderCommand runs release, or extend when lease is non-nil.
func holderCommand(ctx context.Context, name string, args []string, e *env, lease *time.Duration) error {
	fs, output, reviewer := reviewFlags(name, e)
	if lease != nil {
		fs.DurationVar(lease, "lease", 15*time.Minute, "the new lease, from now")
	}
	sub, it, closeAll, err := openItem(ctx, fs, output, reviewer, args, e, false)
	if err != nil {
		return err
	}
	defer closeAll()
	if lease != nil {
		it, err = sub.Store.Extend(ctx, it.ID, *reviewer, *lease)
	} else {
		it, err = sub.Store.Release(ctx, it.ID, *reviewer)
	}
	if err != nil {
		return err
	}
	if *output == "json" {
		return writeJSON(e.stdout, it)
	}
	if lease != nil {
		fmt.Fprintf(e.stdout, "item %d: held by %s until %s\n", it.ID, it.ClaimedBy, it.LeaseExpiresAt.Format(time.RFC3339))
	} else {
		fmt.Fprintf(e.stdout, "item %d: back in the queue\n", it.ID)
	}
	return nil
}

// retryOutcome is one item of `review retry`.
type retryOutcome struct {
	Item     int64  `json:"item"`
	Document string `json:"document"`
	Redriven bool   `json:"redriven"`
	Error    string `json:"error,omitempty"`
}

func reviewRetry(ctx context.Context, args []string, e *env) error {
	fs, output, reviewer := reviewFlags("retry", e)
	reasons := fs.String("reason", "", "comma-separated reason codes to re-drive, e.g. RateLimited,ProviderUnavailable (required)")
	limit := fs.Int("limit", 1000, "at most this many items")
	if _, err := parse(fs, output, args); err != nil {
		return err
	}
	if err := requireReviewer(*reviewer); err != nil {
		return err
	}
	if strings.TrimSpace(*reasons) == "" {
		return usagef("--reason is required: which failures were transient?")
	}
	sub, closeAll, err := connect(ctx, e, true)
	if err != nil {
		return err
	}
	defer closeAll()
	var outcomes []retryOutcome
	failed := 0
	for _, code := range strings.Split(*reasons, ",") {
		items, err := sub.Store.ListReview(ctx, store.ReviewFilter{State: store.ReviewPending, Reason: strings.TrimSpace(code), Limit: *limit})
		if err != nil {
			return err
		}
		for _, it := range items {
			o := retryOutcome{Item: it.ID, Document: it.DocumentName}
			handle, err := sub.Temporal.UpdateWorkflow(ctx, sdkclient.UpdateWorkflowOptions{
				WorkflowID: it.WorkflowID, UpdateName: workflows.UpdateRedrive,
				Args: []any{*reviewer}, WaitForStage: sdkclient.WorkflowUpdateStageCompleted,
			})
			if err == nil {
				err = handle.Get(ctx, nil)
			}
			if err != nil {
				failed++
				o.Error = err.Error()
				fmt.Fprintf(e.stderr, "starter review retry: item %d (%s): %v\n", it.ID, it.DocumentName, err)
			} else {
				o.Redriven = true
			}
			outcomes = append(outcomes, o)
		}
	}
	if *output == "json" {
		if err := writeJSON(e.stdout, outcomes); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "re-drove %d of %d items; the others stay in the queue\n", len(outcomes)-failed, len(outcomes))
	}
	if failed > 0 {
		return errReported
	}
	return nil
}
