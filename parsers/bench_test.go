package parsers

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/samples"
)

func BenchmarkParsePDF(b *testing.B) {
	list, data := loadSamples(b)
	for i, e := range list {
		if e.WantParseError(false) != "" || DetectMediaType(e.File, data[i]) != MediaPDF {
			continue
		}
		b.Run(e.File, func(b *testing.B) {
			b.SetBytes(int64(len(data[i])))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(context.Background(), data[i], MediaPDF, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkExtractRules(b *testing.B) {
	list, data := loadSamples(b)
	for i, e := range list {
		if e.WantParseError(false) != "" {
			continue
		}
		doc, err := Parse(context.Background(), data[i], DetectMediaType(e.File, data[i]), Limits{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(e.File, func(b *testing.B) {
			b.SetBytes(int64(len(doc.Text)))
			b.ReportAllocs()
			for b.Loop() {
				ExtractRules(doc.Text, e.Type)
			}
		})
	}
}

// benchDoc is a document of the samples or the labelled set that parses.
type benchDoc struct {
	path  string
	media string
	data  []byte
	doc   *Document
}

func benchDocs(b *testing.B) []benchDoc {
	var out []benchDoc
	for _, dir := range []string{samples.Dir(), samples.LabelledDir()} {
		list, err := samples.LoadDir(dir)
		require.NoError(b, err)
		for _, e := range list {
			if e.WantParseError(false) != "" {
				continue
			}
			data, err := e.Read()
			require.NoError(b, err)
			media := DetectMediaType(e.File, data)
			doc, err := Parse(context.Background(), data, media, Limits{})
			require.NoError(b, err)
			out = append(out, benchDoc{e.Path(), media, data, doc})
		}
	}
	return out
}

// BenchmarkRulesTier measures, on the samples and the labelled set, the
// rules tier's throughput (classify and extract, in documents and MB of
// text per second) and PDF text extraction per page next to poppler's
// pdftotext -layout on the same files; x-dataforge-time is pdftotext's time
// per page over ours. Without pdftotext (Debian package poppler-utils) that
// comparison is skipped, and says so.
//
//	go test ./parsers -run '^$' -bench BenchmarkRulesTier -benchtime 3s
func BenchmarkRulesTier(b *testing.B) {
	docs := benchDocs(b)
	b.Run("extract", func(b *testing.B) {
		var size int64
		for _, d := range docs {
			size += int64(len(d.doc.Text))
		}
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			for _, d := range docs {
				ExtractRules(d.doc.Text, Classify(d.doc.Text).Type)
			}
		}
		b.ReportMetric(float64(len(docs)*b.N)/b.Elapsed().Seconds(), "docs/s")
	})

	var pdfs []benchDoc
	pages := 0
	for _, d := range docs {
		if d.media == MediaPDF {
			pdfs, pages = append(pdfs, d), pages+d.doc.Pages
		}
	}
	perPage := func(b *testing.B) float64 {
		ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N*pages)
		b.ReportMetric(ns, "ns/page")
		return ns
	}
	var ours float64
	b.Run("pdf-text/dataforge", func(b *testing.B) {
		for b.Loop() {
			for _, d := range pdfs {
				if _, err := Parse(context.Background(), d.data, MediaPDF, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		}
		ours = perPage(b)
	})
	b.Run("pdf-text/pdftotext-layout", func(b *testing.B) {
		bin, err := exec.LookPath("pdftotext")
		if err != nil {
			const msg = "pdftotext not found (apt-get install poppler-utils): no comparison with pdftotext -layout"
			fmt.Fprintln(os.Stderr, b.Name()+": "+msg) // shown without -v too
			b.Skip(msg)
		}
		for b.Loop() {
			for _, d := range pdfs {
				if out, err := exec.Command(bin, "-layout", "-enc", "UTF-8", d.path, "-").Output(); err != nil || len(out) == 0 {
					b.Fatalf("pdftotext %s: %v", d.path, err)
				}
			}
		}
		// pdftotext runs as a process per file, as a pipeline calling it would.
		if theirs := perPage(b); ours > 0 {
			b.ReportMetric(theirs/ours, "x-dataforge-time")
		}
	})
}

// corpusDocs returns the PDFs of the shared real-world corpora
// (../shared/corpus beside the repository, or $DATAFORGE_CORPUS) that
// pdftotext and Parse both read, with the pages Parse found.
func corpusDocs(b *testing.B) ([]benchDoc, int) {
	root := os.Getenv("DATAFORGE_CORPUS")
	if root == "" {
		root = filepath.Join("..", "..", "shared", "corpus")
	}
	var docs []benchDoc
	pages := 0
	for _, dir := range []string{"text", "einvoices"} {
		paths, _ := filepath.Glob(filepath.Join(root, dir, "*.pdf"))
		for _, p := range paths {
			if _, err := os.Stat(strings.TrimSuffix(p, ".pdf") + ".pdftotext.txt"); err != nil {
				continue // pdftotext cannot read it either
			}
			data, err := os.ReadFile(p)
			require.NoError(b, err)
			doc, err := Parse(context.Background(), data, MediaPDF, Limits{})
			if err != nil {
				continue
			}
			docs, pages = append(docs, benchDoc{p, MediaPDF, data, doc}), pages+doc.Pages
		}
	}
	if len(docs) == 0 {
		b.Skipf("no corpus under %s (set DATAFORGE_CORPUS)", root)
	}
	return docs, pages
}

// BenchmarkCorpusText times PDF text extraction per page on the shared
// real-world corpora next to poppler's pdftotext -layout on the same files,
// in the same run. pdftotext runs as a process per file, as a pipeline
// calling it would; "pdftotext-start" times `pdftotext -v` once per file,
// the cost of starting the process alone. Reported: ns/page and B/page
// (bytes allocated) for ours; ns/page for pdftotext; x-faster, pdftotext's
// time over ours, and x-faster-no-start, the same without its process
// starts. Without pdftotext (Debian package poppler-utils) the comparison
// is skipped, and says so.
//
//	go test ./parsers -run '^$' -bench BenchmarkCorpusText -benchtime 3x
func BenchmarkCorpusText(b *testing.B) {
	docs, pages := corpusDocs(b)
	perPage := func(b *testing.B) float64 {
		ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N*pages)
		b.ReportMetric(ns, "ns/page")
		return ns
	}
	var ours, start float64
	b.Run("dataforge", func(b *testing.B) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for b.Loop() {
			for _, d := range docs {
				if _, err := Parse(context.Background(), d.data, MediaPDF, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		}
		runtime.ReadMemStats(&after)
		ours = perPage(b)
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N*pages), "B/page")
	})
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		const msg = "pdftotext not found (apt-get install poppler-utils): no comparison with pdftotext -layout"
		fmt.Fprintln(os.Stderr, b.Name()+": "+msg)
		b.Skip(msg)
	}
	b.Run("pdftotext-start", func(b *testing.B) {
		for b.Loop() {
			for range docs {
				if err := exec.Command(bin, "-v").Run(); err != nil {
					b.Fatal(err)
				}
			}
		}
		start = perPage(b)
	})
	b.Run("pdftotext-layout", func(b *testing.B) {
		for b.Loop() {
			for _, d := range docs {
				if err := exec.Command(bin, "-layout", "-enc", "UTF-8", d.path, os.DevNull).Run(); err != nil {
					b.Fatalf("pdftotext %s: %v", d.path, err)
				}
			}
		}
		theirs := perPage(b)
		if ours > 0 {
			b.ReportMetric(theirs/ours, "x-faster")
			b.ReportMetric((theirs-start)/ours, "x-faster-no-start")
		}
	})
}
