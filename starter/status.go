package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/dataforge/dataforge/dftype"
	"text/tabwriter"

	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/einvoice"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/workflows"
)

// statusView is a report with the live state of a running workflow.
type statusView struct {
	*client.Report
	Live *workflows.State `json:"live,omitempty"`
}

func cmdStatus(ctx context.Context, args []string, e *env) error {
	fs, output := newFlags("status", e)
	live := fs.Bool("live", false, "ask running workflows for their current step and last failure (needs Temporal)")
	args, err := parse(fs, output, args)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return usagef("name at least one document id or file")
	}
	sub, closeAll, err := connect(ctx, e, *live)
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
		if *live && !dftype.Status(r.Status).Terminal() {
			if v.Live, err = liveState(ctx, sub, id); err != nil {
				return err
			}
		}
		views = append(views, v)
	}
	if *output == "json" {
		return writeJSON(e.stdout, views)
	}
	reports := make([]*client.Report, len(views))
	for i, v := range views {
		reports[i] = v.Report
	}
	if err := client.WriteTable(e.stdout, reports); err != nil {
		return err
	}
	for _, v := range views {
		if v.Live != nil {
			fmt.Fprintf(e.stdout, "%s: step %s, tier %s, %d tiers tried, last failure %q\n",
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

func cmdResult(ctx context.Context, args []string, e *env) error {
	fs, output := newFlags("result", e)
	args, err := parse(fs, output, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return usagef("name one document id or file")
	}
	sub, closeAll, err := connect(ctx, e, false)
	if err != nil {
		return err
	}
	defer closeAll()
	id, err := resolve(ctx, sub.Store, args[0])
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
	if *output == "json" {
		return writeJSON(e.stdout, resultView{Report: r, AttemptLog: attempts, EInvoice: inv})
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "document\t%s (%s)\n", r.Name, r.DocumentID)
	fmt.Fprintf(tw, "status\t%s\n", r.Status)
	fmt.Fprintf(tw, "type\t%s\n", r.DocType)
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
		fmt.Fprintln(e.stdout, "\nattempts:")
		tw = tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  TIER\tMODEL\tTRY\tOUTCOME\tERROR\tLATENCY\tTOKENS\tCOST")
		for _, a := range attempts {
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%s\t%d ms\t%d/%d\t$%.6f\n", a.Tier, a.Model, a.Attempt, a.Outcome,
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
		fmt.Fprintf(e.stdout, "\nfields:\n%s\n", b)
	}
	return nil
}
