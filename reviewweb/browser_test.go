package reviewweb_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/worker/pipeline/pipelinetest"
)

// chromiumPath is Debian's chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// artifactDir is where the browser test keeps its screenshot:
// DATAFORGE_TEST_ARTIFACTS, or a directory under the system's temporary one.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("DATAFORGE_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "dataforge-test-artifacts")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// TestBrowserEndToEnd drives the page in headless Chromium: sign in, claim
// the next item with the keyboard, see the PDF rendered by pdf.js and a
// field's value marked on it, correct
// a field, submit with ctrl+enter, and find the workflow completed with the
// corrected value in Postgres.
func TestBrowserEndToEnd(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("this test needs Debian's chromium at %s (apt-get install -y chromium; .ci/run installs it): %v", chromiumPath, err)
	}
	env := pipelinetest.Start(t)
	sub := &client.Submitter{Store: env.Store, Temporal: env.Client, TaskQueue: pipelinetest.TaskQueue,
		MaxBytes: parsers.DefaultLimits().MaxBytes}
	s := newSite(t, sub)
	docs, err := sub.Submit(s.ctx, messyVariants(t, "browser"), client.Options{})
	require.NoError(t, err)
	require.NoError(t, sub.Wait(s.ctx, docs, nil))
	web := httptest.NewServer(s.handler)
	t.Cleanup(web.Close)

	alloc, cancel := chromedp.NewExecAllocator(s.ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1400, 1000))...)
	t.Cleanup(cancel)
	browser, cancel := chromedp.NewContext(alloc, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(browser), "start chromium")
	ctx, cancel := context.WithTimeout(browser, 2*time.Minute)
	t.Cleanup(cancel)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(web.URL+"/"),
		chromedp.WaitVisible(css(`input[name=name]`)),
		chromedp.SendKeys(css(`input[name=name]`), "ann"),
		chromedp.SendKeys(css(`input[name=password]`), password),
		chromedp.Submit(css(`input[name=password]`)),
		chromedp.WaitVisible(css(`#queue`)),
	), "sign in")
	who, err := chromedp.Run(ctx, chromedp.Text(css(`header .who`)))
	require.NoError(t, err)
	require.Equal(t, "signed in as ann", strings.TrimSpace(who))

	require.NoError(t, chromedp.Do(ctx,
		chromedp.KeyEvent("n"),
		chromedp.WaitVisible(css(`#fields`)),
		chromedp.WaitVisible(css(`#pdf[data-rendered] canvas`)),
	), "claim next with n and see the PDF")
	itemURL, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	dark, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(() => {
		const c = document.querySelector("#pdf canvas");
		const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
		let n = 0;
		for (let i = 0; i < d.length; i += 4) if (d[i] < 128 && d[i+3] > 0) n++;
		return n;
	})()`))
	require.NoError(t, err)
	require.Greater(t, dark, 1000, "pdf.js drew the page's text")
	issuer, err := chromedp.Run(ctx, chromedp.Value(css(`input[name=issuer]`)))
	require.NoError(t, err)
	require.NotEmpty(t, issuer, "the rules tier's partial issuer is prefilled")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(css(`input[name=issuer]`)), chromedp.WaitVisible(css(`#pdf .hl`))),
		"clicking a field marks where its value is on the page")
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	path := filepath.Join(artifactDir(t), "review-item-page.png")
	require.NoError(t, os.WriteFile(path, shot, 0o644))
	t.Logf("screenshot of the item page: %s", path)

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Func(setFields(map[string]string{"doc_type": "invoice", "invoice_number": "M-1", "issue_date": "2024-02-01",
			"due_date": "", "issuer": "Cafe Lux", "currency": "EUR", "subtotal": "", "tax": "", "line_items": "", "total": ""})),
		chromedp.SendKeys(css(`input[name=total]`), "42.50"),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.WaitVisible(css(`p.flash`)),
	), "correct the total and submit with ctrl+enter")
	flash, err := chromedp.Run(ctx, chromedp.Text(css(`p.flash`)))
	require.NoError(t, err)
	require.Contains(t, flash, "is completed")

	it := s.itemAt(t, strings.TrimPrefix(itemURL, web.URL))
	res, err := env.Store.Result(s.ctx, it.DocumentID)
	require.NoError(t, err)
	require.Equal(t, "ann", res.Reviewer)
	var fields schema.Fields
	require.NoError(t, json.Unmarshal(res.Fields, &fields))
	require.Equal(t, 42.5, *fields.Total, "the corrected value is in Postgres")
	doc, err := env.Store.Document(s.ctx, it.DocumentID)
	require.NoError(t, err)
	require.EqualValues(t, "completed", doc.Status)
}

// setFields sets the values of the fields form's inputs by name.
func setFields(values map[string]string) func(context.Context, *chromedp.Target) error {
	return func(ctx context.Context, t *chromedp.Target) error {
		b, err := json.Marshal(values)
		if err != nil {
			return err
		}
		_, err = chromedp.Evaluate[bool](`(() => {
			const form = document.getElementById("fields");
			for (const [name, value] of Object.entries(`+string(b)+`)) form.elements[name].value = value;
			return true;
		})()`)(ctx, t)
		return err
	}
}
