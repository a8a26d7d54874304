// Package ocr reads the text of scans (PNG and JPEG files, image-only PDFs)
// with Tesseract, run as a bounded child process per page image: killed
// when the context ends, its data segment and CPU time capped with
// resource limits. The words it reads, with their boxes and confidences,
// are laid out like the text of a PDF page (parsers.LayoutBoxes), so the
// tiers that read PDF text read scans the same way.
package ocr

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dataforge/dataforge/internal/rlimit"
	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/parsers/images"
)

// DefaultLanguages are the Tesseract languages read when none are given:
// English, German, French and Dutch.
var DefaultLanguages = []string{"eng", "deu", "fra", "nld"}

// DefaultMemory is the data segment each Tesseract process may use.
const DefaultMemory = 1 << 30

// Engine runs Tesseract. Detect makes one; its fields are plain data, so an
// engine can be sent to a parse sandbox's child.
type Engine struct {
	Path      string   // the tesseract executable
	Version   string   // as it reports itself, e.g. "5.3.0"
	Languages []string // the languages it reads with, all installed
	// PSM is Tesseract's page segmentation mode: 1 (automatic, with
	// orientation and script detection) when its osd data is installed,
	// else 3 (automatic). Either finds slightly skewed lines.
	PSM    int
	Memory int64 // each process's data segment limit, in bytes
}

// Detect finds Tesseract and checks that it has the languages (nil:
// DefaultLanguages). Without it, or without one of the languages, it fails
// with a *parsers.Error of code CodeOCRUnavailable saying what to install.
func Detect(ctx context.Context, languages []string) (*Engine, error) {
	if len(languages) == 0 {
		languages = DefaultLanguages
	}
	path, err := exec.LookPath("tesseract")
	if err != nil {
		return nil, &parsers.Error{Code: parsers.CodeOCRUnavailable,
			Detail: "tesseract is not installed (Debian: apt-get install tesseract-ocr " + packages(languages) + ")"}
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").CombinedOutput()
	if err != nil {
		return nil, &parsers.Error{Code: parsers.CodeOCRUnavailable, Detail: fmt.Sprintf("%s --version: %v", path, err)}
	}
	version, _, _ := strings.Cut(string(out), "\n")
	list, err := exec.CommandContext(ctx, path, "--list-langs").CombinedOutput()
	if err != nil {
		return nil, &parsers.Error{Code: parsers.CodeOCRUnavailable, Detail: fmt.Sprintf("%s --list-langs: %v", path, err)}
	}
	installed := strings.Fields(string(list))
	var missing []string
	for _, l := range languages {
		if !slices.Contains(installed, l) {
			missing = append(missing, l)
		}
	}
	if len(missing) > 0 {
		return nil, &parsers.Error{Code: parsers.CodeOCRUnavailable,
			Detail: fmt.Sprintf("tesseract lacks the languages %s (Debian: apt-get install %s)", strings.Join(missing, ", "), packages(missing))}
	}
	e := &Engine{Path: path, Version: strings.TrimPrefix(version, "tesseract "), Languages: languages, PSM: 3, Memory: DefaultMemory}
	if slices.Contains(installed, "osd") {
		e.PSM = 1
	}
	return e, nil
}

// packages names the Debian packages of Tesseract languages.
func packages(languages []string) string {
	var p []string
	for _, l := range languages {
		p = append(p, "tesseract-ocr-"+strings.ReplaceAll(strings.ToLower(l), "_", "-"))
	}
	return strings.Join(p, " ")
}

// Word is a word Tesseract read: its text, its box in pixels from the image's
// top left, and its confidence from 0 to 100.
type Word struct {
	Text                     string
	Left, Top, Width, Height int
	Confidence               float64
	line                     [4]int // block, paragraph, line and page numbers: the line it is on
}

// Page is what Tesseract read on one image.
type Page struct {
	Words      []Word
	Confidence float64 // the mean confidence of Words; 0 without words
}

// Read runs Tesseract on one PNG or JPEG image. It is killed when ctx ends
// (CodeTimeout); an image it cannot read is CodeCorrupt, one it runs out of
// memory on CodeTooLarge.
func (e *Engine) Read(ctx context.Context, image []byte) (Page, error) {
	if err := ctx.Err(); err != nil {
		return Page{}, timeout(err)
	}
	cmd := exec.CommandContext(ctx, e.Path, "stdin", "stdout",
		"-l", strings.Join(e.Languages, "+"), "--psm", strconv.Itoa(e.PSM), "tsv")
	// One thread: the parse sandbox runs one child per CPU already.
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	cmd.Stdin = bytes.NewReader(image)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // dies with its parent
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return Page{}, &parsers.Error{Code: parsers.CodeOCRUnavailable, Detail: err.Error()}
	}
	// The limits apply from here: until then the process runs under the
	// limits it inherited (in the parse sandbox, the child's).
	cpu := 2 * time.Minute
	if d, ok := ctx.Deadline(); ok {
		cpu = time.Until(d) + time.Second
	}
	if err := rlimit.Set(cmd.Process.Pid, e.Memory, cpu); err != nil && !errors.Is(err, syscall.ESRCH) {
		cmd.Process.Kill()
		cmd.Wait()
		return Page{}, fmt.Errorf("ocr: limiting tesseract: %w", err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return Page{}, timeout(ctx.Err())
	case err != nil && !errors.As(err, &exit):
		return Page{}, fmt.Errorf("ocr: tesseract: %w", err)
	case err != nil:
		msg := stderr.String()
		ws, _ := exit.Sys().(syscall.WaitStatus)
		switch {
		case strings.Contains(msg, "bad_alloc") || strings.Contains(msg, "llocate") || strings.Contains(msg, "out of memory"):
			return Page{}, &parsers.Error{Code: parsers.CodeTooLarge, Detail: fmt.Sprintf("OCR needs more than %d MiB of memory", e.Memory>>20)}
		case ws.Signaled() && ws.Signal() == syscall.SIGXCPU:
			return Page{}, &parsers.Error{Code: parsers.CodeTimeout, Detail: "OCR ran out of CPU time"}
		}
		first, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
		return Page{}, &parsers.Error{Code: parsers.CodeCorrupt, Detail: fmt.Sprintf("tesseract could not read the image (%v): %s", err, first)}
	}
	return parseTSV(stdout.Bytes()), nil
}

func timeout(err error) *parsers.Error {
	return &parsers.Error{Code: parsers.CodeTimeout, Detail: "OCR did not finish in time: " + err.Error()}
}

// parseTSV reads Tesseract's TSV output: the words (level 5) with their
// boxes and confidences, each given the top and height of its line
// (level 4).
func parseTSV(tsv []byte) Page {
	var p Page
	lines := map[[4]int][2]int{} // top and height of each line
	sc := bufio.NewScanner(bytes.NewReader(tsv))
	sc.Buffer(nil, 1<<20)
	var sum float64
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 12 {
			continue
		}
		n := make([]int, 10)
		ok := true
		for i := range n {
			var err error
			if n[i], err = strconv.Atoi(f[i]); err != nil {
				ok = false
			}
		}
		conf, err := strconv.ParseFloat(f[10], 64)
		if !ok || err != nil { // the header
			continue
		}
		key := [4]int{n[1], n[2], n[3], n[4]}
		switch n[0] {
		case 4:
			lines[key] = [2]int{n[7], n[9]}
		case 5:
			text := strings.TrimSpace(strings.Join(f[11:], "\t"))
			if text == "" || conf < 0 {
				continue
			}
			p.Words = append(p.Words, Word{Text: text, Left: n[6], Top: n[7], Width: n[8], Height: n[9], Confidence: conf, line: key})
			sum += conf
		}
	}
	for i, w := range p.Words {
		if l, ok := lines[w.line]; ok {
			p.Words[i].Top, p.Words[i].Height = l[0], l[1]
		}
	}
	if len(p.Words) > 0 {
		p.Confidence = sum / float64(len(p.Words))
	}
	return p
}

// Parse reads a document's text by OCR: a PNG or JPEG file, or the page
// images of a PDF (see images.FromPDF), checked against lim first. It is a
// parsers.OCRFunc; its document's Source is parsers.SourceOCR and it carries
// the confidences read. A document in which Tesseract finds no word fails
// with CodeNoText.
func (e *Engine) Parse(ctx context.Context, data []byte, mediaType string, lim parsers.Limits) (*parsers.Document, error) {
	lim = lim.WithDefaults()
	var pages []images.Page
	switch mediaType {
	case parsers.MediaPDF:
		var err error
		if pages, err = images.FromPDF(ctx, data, lim); err != nil {
			return nil, err
		}
	case parsers.MediaPNG, parsers.MediaJPEG:
		_, p, err := images.Decode(data, lim.MaxPixels)
		if err != nil {
			return nil, err
		}
		pages = []images.Page{p}
	default:
		return nil, &parsers.Error{Code: parsers.CodeUnsupported, Detail: mediaType + " is not read by OCR"}
	}
	doc := &parsers.Document{MediaType: mediaType, Source: parsers.SourceOCR, Pages: pages[len(pages)-1].Number}
	sums, counts := make([]float64, doc.Pages), make([]int, doc.Pages)
	var b strings.Builder
	fed := 0 // form feeds written: pages done
	for _, img := range pages {
		page, err := e.Read(ctx, img.Data)
		if err != nil {
			return nil, err
		}
		for ; fed < img.Number-1; fed++ {
			b.WriteByte('\f')
		}
		boxes := make([]parsers.Box, len(page.Words))
		for j, w := range page.Words {
			boxes[j] = parsers.Box{Text: w.Text, Left: w.Left, Top: w.Top, Width: w.Width, Height: w.Height}
			sums[img.Number-1] += w.Confidence
		}
		counts[img.Number-1] += len(page.Words)
		if !parsers.LayoutBoxes(&b, boxes, lim.MaxBytes) {
			return nil, &parsers.Error{Code: parsers.CodeTooLarge, Detail: fmt.Sprintf("more than %d bytes of text", lim.MaxBytes)}
		}
	}
	for ; fed < doc.Pages; fed++ {
		b.WriteByte('\f')
	}
	var sum float64
	var words int
	doc.PageConfidence = make([]float64, doc.Pages)
	for i := range sums {
		sum, words = sum+sums[i], words+counts[i]
		if counts[i] > 0 {
			doc.PageConfidence[i] = sums[i] / float64(counts[i])
		}
	}
	if words == 0 {
		return nil, &parsers.Error{Code: parsers.CodeNoText, Detail: fmt.Sprintf("OCR found no words on %d page images", len(pages))}
	}
	doc.Text, doc.OCRConfidence = b.String(), sum/float64(words)
	return doc, nil
}
