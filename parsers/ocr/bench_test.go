package ocr

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/samples"
)

// BenchmarkScanVsTextLayer parses each generated invoice twice per
// iteration: its PDF with a text layer, and its scan (an image-only PDF of
// a JPEG) by OCR. It reports the seconds per page of each path, and the
// peak resident memory of the largest Tesseract process (the test binary's
// only children).
func BenchmarkScanVsTextLayer(b *testing.B) {
	e := engine(b)
	list, err := samples.LoadDir(samples.ScanDir())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	lim := parsers.DefaultLimits()
	lim.OCR = e.Parse
	var files [][]byte
	for _, s := range list {
		if strings.HasSuffix(s.File, "-layer.pdf") || strings.HasSuffix(s.File, "-scan-jpeg.pdf") {
			data, err := s.Read()
			if err != nil {
				b.Fatal(err)
			}
			files = append(files, data)
		}
	}
	var textTime, ocrTime time.Duration
	var textPages, ocrPages int
	for b.Loop() {
		for _, data := range files {
			start := time.Now()
			doc, err := parsers.Parse(ctx, data, parsers.MediaPDF, lim)
			if err != nil {
				b.Fatal(err)
			}
			if doc.Source == parsers.SourceOCR {
				ocrTime, ocrPages = ocrTime+time.Since(start), ocrPages+doc.Pages
			} else {
				textTime, textPages = textTime+time.Since(start), textPages+doc.Pages
			}
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(ocrTime.Seconds()/float64(ocrPages), "ocr-s/page")
	b.ReportMetric(textTime.Seconds()/float64(textPages), "text-s/page")
	b.ReportMetric(float64(ru.Maxrss)/1024, "tesseract-peak-MiB") // Maxrss is in KiB
}
