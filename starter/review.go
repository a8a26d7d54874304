package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/workflows"
)

func newReviewCmd(e *env, p *printer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "review",
		Short: "The manual review queue: list, next, show, submit, reject, release, extend, retry; serve the web page",
		Long: `review works the manual review queue. ITEM is a review item number or a document
id, prefix or file. The reviewer is --reviewer or DATAFORGE_REVIEWER (required for
next, submit, reject, release, extend, retry).`,
		Example: `  starter review list --state pending --reason low_confidence
  starter review next --reviewer ann
  starter review submit 12 --reviewer ann --set total=121.00 --set currency=EUR
  starter review reject 12 --reviewer ann --reason "duplicate of INV-7"`,
	}
	cmd.AddCommand(newReviewListCmd(e, p), newReviewNextCmd(e, p), newReviewShowCmd(e, p), newReviewSubmitCmd(e, p),
		newReviewRejectCmd(e, p), newHolderCmd(e, p, false), newHolderCmd(e, p, true), newReviewRetryCmd(e, p),
		newReviewServeCmd(e, p), newReviewUsersCmd(e, p))
	return cmd
}

// reviewerFlag adds --reviewer to cmd.
func reviewerFlag(cmd *cobra.Command, e *env, reviewer *string) {
	cmd.Flags().StringVar(reviewer, "reviewer", e.cfg.Reviewer, "the reviewer's `NAME` (default $DATAFORGE_REVIEWER)")
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

func newReviewListCmd(e *env, p *printer) *cobra.Command {
	var f store.ReviewFilter
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Items in the queue, most urgent first",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return reviewList(cmd.Context(), e, p, f) },
	}
	fs := cmd.Flags()
	fs.StringVar(&f.State, "state", "", "pending, claimed, completed, rejected or redriven")
	fs.StringVar(&f.DocType, "type", "", "document type")
	fs.StringVar(&f.Reason, "reason", "", "reason code (e.g. low_confidence, RateLimited, encrypted)")
	fs.DurationVar(&f.OlderThan, "older-than", 0, "only items waiting at least this long")
	fs.IntVar(&f.Limit, "limit", 100, "at most this many items")
	return cmd
}

func reviewList(ctx context.Context, e *env, p *printer, f store.ReviewFilter) error {
	sub, closeAll, err := connect(ctx, e, false)
	if err != nil {
		return err
	}
	defer closeAll()
	items, err := sub.Store.ListReview(ctx, f)
	if err != nil {
		return err
	}
	return p.Print(items, func() error { return writeReviewItems(p, items) })
}

// writeReviewItems writes what review list prints as text.
func writeReviewItems(p *printer, items []*store.ReviewItem) error {
	tw := p.Table()
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

func showItem(ctx context.Context, st *store.Store, it *store.ReviewItem, p *printer) error {
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
	return p.Print(v, func() error { return writeItem(p, v) })
}

// writeItem writes what review next and show print as text.
func writeItem(p *printer, v itemView) error {
	it := v.ReviewItem
	tw := p.Table()
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
		p.Printf("\npartial fields (the best a tier found):\n%s\n", b)
	}
	if v.Text == "" {
		p.Printf("\n(no text layer: open the file)\n")
	} else {
		p.Printf("\n----- text -----\n%s\n----- end -----\n", v.Text)
	}
	p.Printf("\nevents:\n")
	for _, ev := range v.Events {
		p.Printf("  %s  %-13s %s\n", ev.At.Format(time.RFC3339), ev.Action, ev.Actor)
	}
	return nil
}

// nextFlags are the flags of review next.
type nextFlags struct {
	reviewer string
	lease    time.Duration
	filter   store.ClaimFilter
}

func newReviewNextCmd(e *env, p *printer) *cobra.Command {
	var fl nextFlags
	cmd := &cobra.Command{
		Use:   "next",
		Short: "Claim the most urgent item and show it",
		Long: `next claims the most urgent pending item for the reviewer, for --lease, and shows it
as show does.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return reviewNext(cmd.Context(), e, p, &fl) },
	}
	reviewerFlag(cmd, e, &fl.reviewer)
	fs := cmd.Flags()
	fs.DurationVar(&fl.lease, "lease", 15*time.Minute, "how long the claim holds")
	fs.StringVar(&fl.filter.DocType, "type", "", "only this document type")
	fs.StringVar(&fl.filter.Reason, "reason", "", "only items with this reason code")
	return cmd
}

func reviewNext(ctx context.Context, e *env, p *printer, fl *nextFlags) error {
	if err := requireReviewer(fl.reviewer); err != nil {
		return err
	}
	sub, closeAll, err := connect(ctx, e, false)
	if err != nil {
		return err
	}
	defer closeAll()
	it, err := sub.Store.Claim(ctx, fl.reviewer, fl.lease, fl.filter)
	if err != nil {
		return err
	}
	return showItem(ctx, sub.Store, it, p)
}

func newReviewShowCmd(e *env, p *printer) *cobra.Command {
	return &cobra.Command{
		Use:   "show ITEM",
		Short: "An item, its document's text and its audit log",
		Long: `show prints an item: its document (written to a temporary file to open), the
reasons it is in review, the fields a tier found, the document's text and the
item's audit log.`,
		Args: oneArg("name one item"),
		RunE: func(cmd *cobra.Command, args []string) error { return reviewShow(cmd.Context(), e, p, args[0]) },
	}
}

func reviewShow(ctx context.Context, e *env, p *printer, ref string) error {
	sub, closeAll, err := connect(ctx, e, false)
	if err != nil {
		return err
	}
	defer closeAll()
	it, err := item(ctx, sub.Store, ref)
	if err != nil {
		return err
	}
	return showItem(ctx, sub.Store, it, p)
}

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
	if !it.HeldBy(reviewer, time.Now()) {
		return fmt.Errorf("item %d is %s (claimed by %q); claim it first with `starter review next`", it.ID, it.State, it.ClaimedBy)
	}
	return nil
}

// openItem checks the reviewer of a command that names one item, connects,
// and finds the item. The caller closes the returned function.
func openItem(ctx context.Context, e *env, reviewer, ref string, withTemporal bool) (*client.Submitter, *store.ReviewItem, func(), error) {
	if err := requireReviewer(reviewer); err != nil {
		return nil, nil, nil, err
	}
	sub, closeAll, err := connect(ctx, e, withTemporal)
	if err != nil {
		return nil, nil, nil, err
	}
	it, err := item(ctx, sub.Store, ref)
	if err != nil {
		closeAll()
		return nil, nil, nil, err
	}
	return sub, it, closeAll, nil
}

// decisionFlags are the flags of review submit and reject.
type decisionFlags struct {
	reviewer string
	fields   string   // submit: a JSON file
	sets     []string // submit: name=value
	docType  string   // submit
	reason   string   // reject
}

func newReviewSubmitCmd(e *env, p *printer) *cobra.Command {
	var fl decisionFlags
	cmd := &cobra.Command{
		Use:   "submit ITEM",
		Short: "Complete an item you hold with its fields",
		Long: `submit completes an item the reviewer holds: its fields are those a tier found, then
those of --fields, then each --set; --type corrects the document's type.`,
		Example: `  starter review submit 12 --set total=121.00 --set currency=EUR
  starter review submit 12 --fields fixed.json --type invoice`,
		Args: oneArg("name one item"),
		RunE: func(cmd *cobra.Command, args []string) error { return reviewSubmit(cmd.Context(), e, p, &fl, args[0]) },
	}
	reviewerFlag(cmd, e, &fl.reviewer)
	fs := cmd.Flags()
	fs.StringVar(&fl.fields, "fields", "", "a JSON `FILE` with the fields")
	fs.StringArrayVar(&fl.sets, "set", nil, "`name=value` for one field (repeatable), e.g. --set total=121.00")
	fs.StringVar(&fl.docType, "type", "", "correct the document's type (invoice, receipt, other)")
	return cmd
}

func reviewSubmit(ctx context.Context, e *env, p *printer, fl *decisionFlags, ref string) error {
	sub, it, closeAll, err := openItem(ctx, e, fl.reviewer, ref, true)
	if err != nil {
		return err
	}
	defer closeAll()
	if err := holding(it, fl.reviewer); err != nil {
		return err
	}
	if fl.docType != "" {
		if _, err := schema.ParseDocType(fl.docType); err != nil {
			return usagef("--type: %v", err)
		}
		it.DocType = fl.docType
	}
	fields, err := reviewedFields(it, fl.fields, fl.sets)
	if err != nil {
		return err
	}
	res, err := sub.Review(ctx, it.WorkflowID, workflows.ReviewDecision{Reviewer: fl.reviewer, Fields: fields, DocType: fl.docType})
	if err != nil {
		return err
	}
	return printDecision(p, it, res)
}

func newReviewRejectCmd(e *env, p *printer) *cobra.Command {
	var fl decisionFlags
	cmd := &cobra.Command{
		Use:   "reject ITEM",
		Short: "Reject an item you hold (--reason)",
		Args:  oneArg("name one item"),
		RunE:  func(cmd *cobra.Command, args []string) error { return reviewReject(cmd.Context(), e, p, &fl, args[0]) },
	}
	reviewerFlag(cmd, e, &fl.reviewer)
	cmd.Flags().StringVar(&fl.reason, "reason", "", "why the document is rejected (required)")
	return cmd
}

func reviewReject(ctx context.Context, e *env, p *printer, fl *decisionFlags, ref string) error {
	sub, it, closeAll, err := openItem(ctx, e, fl.reviewer, ref, true)
	if err != nil {
		return err
	}
	defer closeAll()
	if strings.TrimSpace(fl.reason) == "" {
		return usagef("--reason is required")
	}
	if err := holding(it, fl.reviewer); err != nil {
		return err
	}
	res, err := sub.Review(ctx, it.WorkflowID, workflows.ReviewDecision{Reviewer: fl.reviewer, Reject: true, Reason: fl.reason})
	if err != nil {
		return err
	}
	return printDecision(p, it, res)
}

func printDecision(p *printer, it *store.ReviewItem, res *workflows.Result) error {
	return p.Print(res, func() error {
		p.Printf("item %d: %s is %s\n", it.ID, it.DocumentName, res.Status)
		return nil
	})
}

// newHolderCmd returns release, or extend when extend is set.
func newHolderCmd(e *env, p *printer, extend bool) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "release ITEM",
		Short: "Give an item you hold back to the queue",
		Args:  oneArg("name one item"),
	}
	var reviewer string
	reviewerFlag(cmd, e, &reviewer)
	var lease *time.Duration
	if extend {
		cmd.Use, cmd.Short = "extend ITEM", "Renew your lease on an item (--lease)"
		lease = cmd.Flags().Duration("lease", 15*time.Minute, "the new lease, from now")
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return holderCommand(cmd.Context(), e, p, reviewer, args[0], lease)
	}
	return cmd
}

// holderCommand runs release, or extend when lease is non-nil.
func holderCommand(ctx context.Context, e *env, p *printer, reviewer, ref string, lease *time.Duration) error {
	sub, it, closeAll, err := openItem(ctx, e, reviewer, ref, false)
	if err != nil {
		return err
	}
	defer closeAll()
	if lease != nil {
		it, err = sub.Store.Extend(ctx, it.ID, reviewer, *lease)
	} else {
		it, err = sub.Store.Release(ctx, it.ID, reviewer)
	}
	if err != nil {
		return err
	}
	return p.Print(it, func() error {
		if lease != nil {
			p.Printf("item %d: held by %s until %s\n", it.ID, it.ClaimedBy, it.LeaseExpiresAt.Format(time.RFC3339))
		} else {
			p.Printf("item %d: back in the queue\n", it.ID)
		}
		return nil
	})
}

// retryOutcome is one item of `review retry`.
type retryOutcome struct {
	Item     int64  `json:"item"`
	Document string `json:"document"`
	Redriven bool   `json:"redriven"`
	Error    string `json:"error,omitempty"`
}

// retryFlags are the flags of review retry.
type retryFlags struct {
	reviewer string
	reasons  string
	limit    int
}

func newReviewRetryCmd(e *env, p *printer) *cobra.Command {
	var fl retryFlags
	cmd := &cobra.Command{
		Use:   "retry --reason CODE[,CODE...]",
		Short: "Send pending items with those reasons through the automated tiers again",
		Long: `retry re-drives the pending items whose reasons include one of the codes (failures
that were transient, such as RateLimited): their workflows run the automated tiers
again; the items that fail stay in the queue.`,
		Example: `  starter review retry --reviewer ops --reason RateLimited,ProviderUnavailable`,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return reviewRetry(cmd.Context(), e, p, &fl) },
	}
	reviewerFlag(cmd, e, &fl.reviewer)
	cmd.Flags().StringVar(&fl.reasons, "reason", "", "comma-separated reason codes to re-drive, e.g. RateLimited,ProviderUnavailable (required)")
	cmd.Flags().IntVar(&fl.limit, "limit", 1000, "at most this many items")
	return cmd
}

func reviewRetry(ctx context.Context, e *env, p *printer, fl *retryFlags) error {
	if err := requireReviewer(fl.reviewer); err != nil {
		return err
	}
	if strings.TrimSpace(fl.reasons) == "" {
		return usagef("--reason is required: which failures were transient?")
	}
	sub, closeAll, err := connect(ctx, e, true)
	if err != nil {
		return err
	}
	defer closeAll()
	var outcomes []retryOutcome
	failed := 0
	for _, code := range strings.Split(fl.reasons, ",") {
		items, err := sub.Store.ListReview(ctx, store.ReviewFilter{State: store.ReviewPending, Reason: strings.TrimSpace(code), Limit: fl.limit})
		if err != nil {
			return err
		}
		for _, it := range items {
			o := retryOutcome{Item: it.ID, Document: it.DocumentName}
			if err := sub.Redrive(ctx, it.WorkflowID, fl.reviewer); err != nil {
				failed++
				o.Error = err.Error()
				fmt.Fprintf(e.stderr, "starter review retry: item %d (%s): %v\n", it.ID, it.DocumentName, err)
			} else {
				o.Redriven = true
			}
			outcomes = append(outcomes, o)
		}
	}
	err = p.Print(outcomes, func() error {
		p.Printf("re-drove %d of %d items; the others stay in the queue\n", len(outcomes)-failed, len(outcomes))
		return nil
	})
	if err != nil {
		return err
	}
	if failed > 0 {
		return errReported
	}
	return nil
}
