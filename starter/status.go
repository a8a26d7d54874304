package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/einvoice"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/workflows"
)

// statusView is a report with the live state of a running workflow.
type statusView struct {
	*client.Report
	Live *workflows.State `json:"live,omitempty"`
}

func newStatusCmd(e *env, p *printer) *cobra.Command {
	var live bool
	cmd := &cobra.Command{
		Use:   "status ID|FILE...",
		Short: "Where documents are (--live: the current step of running workflows)",
		Long: `status prints where documents are. ID is a document's sha256, a unique prefix
of it, or doc-<sha256>; FILE is hashed to find its document.`,
		Args: needArgs("name at least one document id or file"),
		RunE: func(cmd *cobra.Command, args []string) error { return runStatus(cmd.Context(), e, p, live, args) },
	}
	cmd.Flags().BoolVar(&live, "live", false, "ask running workflows for their current step and last failure (needs Temporal)")
	return cmd
}

func runStatus(ctx context.Context, e *env, p *printer, live bool, args []string) error {
	sub, closeAll, err := connect(ctx, e, live)
	if err != nil {
		return err
	}
	defer closeAll()
	var views []statusView
	for _, ref := range args {
		id, err := resolve(ctx, sub.Store, ref)
		if err != nil {
			return err
		}
		r, err := sub.Report(ctx, id)
		if err != nil {
			return err
		}
		v := statusView{Report: r}
		if live && !dftype.Status(r.Status).Terminal() {
			if v.Live, err = liveState(ctx, sub, id); err != nil {
				return err
			}
		}
		views = append(views, v)
	}
	return p.Print(views, func() error { return writeStatus(p, views) })
}

// writeStatus writes what status prints as text.
func writeStatus(p *printer, views []statusView) error {
	reports := make([]*client.Report, len(views))
	for i, v := range views {
		reports[i] = v.Report
	}
	if err := client.WriteTable(p.w, reports); err != nil {
		return err
	}
	for _, v := range views {
		if v.Live != nil {
			p.Printf("%s: step %s, tier %s, %d tiers tried, last failure %q\n",
				v.Name, v.Live.Step, v.Live.Tier, v.Live.TiersTried, v.Live.LastFailure)
		}
	}
	return nil
}

// liveState queries a document's workflow for its state.
func liveState(ctx context.Context, sub *client.Submitter, id string) (*workflows.State, error) {
	v, err := sub.Temporal.QueryWorkflow(ctx, workflows.WorkflowID(id), "", workflows.QueryState)
	if err != nil {
		return nil, fmt.Errorf("live state of %s: %w", id, err)
	}
	var st workflows.State
	return &st, v.Get(&st)
}

// resultView is what `result` prints: the outcome and every attempt.
type resultView struct {
	*client.Report
	AttemptLog []*store.Attempt `json:"attempt_log"`
	// EInvoice is what the document's EN 16931 XML says, when it has one
	// that can be read: profile, type code, buyer, amount due.
	EInvoice *einvoice.Invoice `json:"einvoice,omitempty"`
}

func newResultCmd(e *env, p *printer) *cobra.Command {
	return &cobra.Command{
		Use:   "result ID|FILE",
		Short: "A document's extracted fields and provenance",
		Long: `result prints a document's outcome: its fields, the tier and model that read them,
every attempt of every tier, and what its e-invoice XML says when it has one.
ID is a document's sha256, a unique prefix of it, or doc-<sha256>; FILE is hashed.`,
		Args: oneArg("name one document id or file"),
		RunE: func(cmd *cobra.Command, args []string) error { return runResult(cmd.Context(), e, p, args[0]) },
	}
}

func runResult(ctx context.Context, e *env, p *printer, ref string) error {
	sub, closeAll, err := connect(ctx, e, false)
	if err != nil {
		return err
	}
	defer closeAll()
	id, err := resolve(ctx, sub.Store, ref)
	if err != nil {
		return err
	}
	r, err := sub.Report(ctx, id)
	if err != nil {
		return err
	}
	attempts, err := sub.Store.Attempts(ctx, id)
	if err != nil {
		return err
	}
	var inv *einvoice.Invoice
	if xml, _, err := sub.Store.EInvoice(ctx, id); err == nil {
		inv, _ = einvoice.Read(xml)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	v := resultView{Report: r, AttemptLog: attempts, EInvoice: inv}
	return p.Print(v, func() error { return writeResult(p, v) })
}

// writeResult writes what result prints as text.
func writeResult(p *printer, v resultView) error {
	r, attempts, inv := v.Report, v.AttemptLog, v.EInvoice
	tw := p.Table()
	fmt.Fprintf(tw, "document\t%s (%s)\n", r.Name, r.DocumentID)
	fmt.Fprintf(tw, "status\t%s\n", r.Status)
	fmt.Fprintf(tw, "type\t%s\n", r.DocType)
	if o := r.TextOrigin(); o != "" {
		fmt.Fprintf(tw, "text\t%s\n", o)
	}
	if r.Reason != "" {
		fmt.Fprintf(tw, "reason\t%s\n", r.Reason)
	}
	if r.Tier != "" {
		fmt.Fprintf(tw, "tier\t%s\n", r.Tier)
		fmt.Fprintf(tw, "model\t%s\n", r.Model)
		fmt.Fprintf(tw, "attempts\t%d\n", r.Attempts)
		fmt.Fprintf(tw, "cost\t$%.6f\n", r.CostUSD)
		fmt.Fprintf(tw, "latency\t%d ms\n", r.LatencyMS)
	}
	if r.Reviewer != "" {
		fmt.Fprintf(tw, "reviewer\t%s\n", r.Reviewer)
	}
	if inv != nil {
		kind := "invoice"
		if inv.CreditNote {
			kind = "credit note"
		}
		fmt.Fprintf(tw, "e-invoice\t%s, type code %s (%s)\n", inv.Label(), inv.TypeCode, kind)
		if inv.AmountDue != nil {
			fmt.Fprintf(tw, "amount due\t%.2f %s\n", *inv.AmountDue, inv.Fields.Currency)
		}
	}
	fmt.Fprintf(tw, "ui\t%s\n", r.URL)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(attempts) > 0 {
		p.Printf("\nattempts:\n")
		tw = p.Table()
		fmt.Fprintln(tw, "  TIER\tMODEL\tTRY\tREAD\tOUTCOME\tERROR\tLATENCY\tTOKENS\tCOST")
		for _, a := range attempts {
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%s\t%s\t%d ms\t%d/%d\t$%.6f\n", a.Tier, a.Model, a.Attempt, attemptInput(a), a.Outcome,
				a.ErrorClass, a.LatencyMS, a.PromptTokens, a.CompletionTokens, a.CostUSD)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if r.Fields != nil {
		b, err := json.MarshalIndent(r.Fields, "", "  ")
		if err != nil {
			return err
		}
		p.Printf("\nfields:\n%s\n", b)
	}
	return nil
}

// attemptInput says what an attempt read: its text's source, with the page
// images sent to a vision model ("ocr+2 images"), or "-" when unknown.
func attemptInput(a *store.Attempt) string {
	s := a.TextSource
	if a.PageImages > 0 {
		s += fmt.Sprintf("+%d images", a.PageImages)
	}
	if s == "" {
		return "-"
	}
	return s
}
