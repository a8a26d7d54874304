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
	"math"
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

// DefaultPSM is the page segmentation mode Detect chooses: 4, a single
// column of lines of varying sizes, which reads an invoice's rows whole,
// label and amount, on slightly skewed pages. The automatic modes with
// orientation detection (1 and 12) split rows into blocks of labels and
// of amounts and lose the leading digits of spaced amounts ("6 694,38");
// pages turned by quarter turns are set upright apart (see Engine.OSD).
const DefaultPSM = 4

// UprightConfidence is the mean word confidence below which a page may be
// turned: the generated scans read at 95 upright, 43 upside down, and
// without a word on their side.
const UprightConfidence = 60

// DefaultMemory is the data segment each Tesseract process may use.
const DefaultMemory = 1 << 30

// Engine runs Tesseract. Detect makes one; its fields are plain data, so an
// engine can be sent to a parse sandbox's child.
type Engine struct {
	Path      string   // the tesseract executable
	Version   string   // as it reports itself, e.g. "5.3.0"
	Languages []string // the languages it reads with, all installed
	// PSM is Tesseract's page segmentation mode, DefaultPSM unless set.
	PSM int
	// OSD tells whether Tesseract has its orientation data: then a page
	// read with less than UprightConfidence is turned upright, when
	// Tesseract finds it turned, and read again.
	OSD    bool
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
	return &Engine{Path: path, Version: strings.TrimPrefix(version, "tesseract "), Languages: languages,
		PSM: DefaultPSM, OSD: slices.Contains(installed, "osd"), Memory: DefaultMemory}, nil
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
	line                     [4]int // page, block, paragraph and line number of the line it is on
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
	tsv, err := e.run(ctx, image, "-l", strings.Join(e.Languages, "+"), "--psm", strconv.Itoa(e.PSM), "tsv")
	if err != nil {
		return Page{}, err
	}
	return parseTSV(tsv), nil
}

// Orientation returns the quarter turns clockwise (0 to 3) that set the
// image upright, by Tesseract's orientation detection (which needs its osd
// data). It fails, as Read does, on a page with too little text to tell.
func (e *Engine) Orientation(ctx context.Context, image []byte) (int, error) {
	out, err := e.run(ctx, image, "--psm", "0")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(out)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Rotate:"); ok {
			deg, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || deg%90 != 0 {
				break
			}
			return (deg / 90) % 4, nil
		}
	}
	return 0, &parsers.Error{Code: parsers.CodeCorrupt, Detail: "no orientation in Tesseract's output"}
}

// readUpright reads a page image, cleaned first (images.Clean); one read
// with little confidence that Tesseract finds turned is turned upright and
// read again, and the better reading kept.
func (e *Engine) readUpright(ctx context.Context, img images.Page, maxPixels int64) (Page, error) {
	decoded, _, err := images.Decode(img.Data, maxPixels)
	if err != nil {
		return Page{}, err
	}
	clean := images.Clean(decoded)
	data := images.Turn(clean, 0)
	page, err := e.Read(ctx, data)
	if err != nil || !e.OSD || page.Confidence >= UprightConfidence {
		return page, err
	}
	turns, err := e.Orientation(ctx, data)
	if code, _ := parsers.CodeOf(err); code == parsers.CodeTimeout {
		return Page{}, err
	}
	if err != nil || turns == 0 {
		return page, nil // too little text to tell: as read
	}
	turned, err := e.Read(ctx, images.Turn(clean, turns))
	if err != nil || turned.Confidence <= page.Confidence {
		return page, err
	}
	return turned, nil
}

// run runs Tesseract on image, read from stdin, with args after its input
// and output names, and returns what it writes.
func (e *Engine) run(ctx context.Context, image []byte, args ...string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, timeout(err)
	}
	cmd := exec.CommandContext(ctx, e.Path, append([]string{"stdin", "stdout"}, args...)...)
	// One thread: the parse sandbox runs one child per CPU already.
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	cmd.Stdin = bytes.NewReader(image)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // dies with its parent
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return nil, &parsers.Error{Code: parsers.CodeOCRUnavailable, Detail: err.Error()}
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
		return nil, fmt.Errorf("ocr: limiting tesseract: %w", err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return nil, timeout(ctx.Err())
	case err != nil && !errors.As(err, &exit):
		return nil, fmt.Errorf("ocr: tesseract: %w", err)
	case err != nil:
		msg := stderr.String()
		ws, _ := exit.Sys().(syscall.WaitStatus)
		switch {
		case strings.Contains(msg, "bad_alloc") || strings.Contains(msg, "llocate") || strings.Contains(msg, "out of memory"):
			return nil, &parsers.Error{Code: parsers.CodeTooLarge, Detail: fmt.Sprintf("OCR needs more than %d MiB of memory", e.Memory>>20)}
		case ws.Signaled() && ws.Signal() == syscall.SIGXCPU:
			return nil, &parsers.Error{Code: parsers.CodeTimeout, Detail: "OCR ran out of CPU time"}
		}
		first, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
		return nil, &parsers.Error{Code: parsers.CodeCorrupt, Detail: fmt.Sprintf("tesseract could not read the image (%v): %s", err, first)}
	}
	return stdout.Bytes(), nil
}

// boxes returns the page's words for parsers.LayoutBoxes, all as high as
// the median word, centred where they are once the page is turned straight.
// Word boxes vary in height with the letters (x-height, capitals,
// descenders) and with specks taken for parts of letters; one height for
// all lines words up by their middles, which vary least. Tesseract reads
// skewed lines but gives boxes on the image as it is: the skew is the
// median slope of the middles of the words of its lines.
func (p Page) boxes() []parsers.Box {
	if len(p.Words) == 0 {
		return nil
	}
	heights := make([]int, len(p.Words))
	for i, w := range p.Words {
		heights[i] = w.Height
	}
	slices.Sort(heights)
	h := heights[len(heights)/2]
	skew := p.skew()
	boxes := make([]parsers.Box, len(p.Words))
	for i, w := range p.Words {
		mid := float64(w.Top) + float64(w.Height)/2 - skew*(float64(w.Left)+float64(w.Width)/2)
		boxes[i] = parsers.Box{Text: w.Text, Left: w.Left, Top: int(math.Round(mid)) - h/2, Width: w.Width, Height: h}
	}
	return boxes
}

// skew returns the median slope (pixels down per pixel right) of the lines
// whose first and last words are apart by more than their height.
func (p Page) skew() float64 {
	first, last := map[[4]int]Word{}, map[[4]int]Word{}
	for _, w := range p.Words {
		if _, ok := first[w.line]; !ok {
			first[w.line] = w
		}
		last[w.line] = w
	}
	var slopes []float64
	for k, a := range first {
		b := last[k]
		dx := float64(b.Left+b.Width/2) - float64(a.Left+a.Width/2)
		if dx > 4*float64(max(a.Height, b.Height)) {
			slopes = append(slopes, (float64(b.Top+b.Height/2)-float64(a.Top+a.Height/2))/dx)
		}
	}
	if len(slopes) == 0 {
		return 0
	}
	slices.Sort(slopes)
	return slopes[len(slopes)/2]
}

func timeout(err error) *parsers.Error {
	return &parsers.Error{Code: parsers.CodeTimeout, Detail: "OCR did not finish in time: " + err.Error()}
}

// parseTSV reads Tesseract's TSV output: the words (level 5) with their
// boxes and confidences.
func parseTSV(tsv []byte) Page {
	var p Page
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
		text := strings.TrimSpace(strings.Join(f[11:], "\t"))
		if n[0] != 5 || text == "" || conf < 0 {
			continue
		}
		p.Words = append(p.Words, Word{Text: text, Left: n[6], Top: n[7], Width: n[8], Height: n[9], Confidence: conf, line: [4]int(n[1:5])})
		sum += conf
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
		page, err := e.readUpright(ctx, img, lim.MaxPixels)
		if err != nil {
			return nil, err
		}
		for ; fed < img.Number-1; fed++ {
			b.WriteByte('\f')
		}
		boxes := page.boxes()
		for _, w := range page.Words {
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

// Text reads the text of one image (PNG or JPEG), laid out as Parse lays it
// out: what the LLM simulator answers from when a request carries page
// images.
func (e *Engine) Text(ctx context.Context, image []byte) (string, error) {
	doc, err := e.Parse(ctx, image, images.MediaType(image), parsers.Limits{})
	if err != nil {
		return "", err
	}
	return doc.Text, nil
}
