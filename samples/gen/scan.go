package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/dataforge/dataforge/internal/schema"
	"github.com/dataforge/dataforge/samples"
)

// The scans: plain-text invoices of the labelled set printed and scanned,
// more or less, and printed to a PDF with a text layer for comparison.
// The scans are drawn in Go Mono on a grey A4 page at 200 dpi, turned by
// less than a degree, speckled, and saved as a JPEG of middling quality;
// each is written as a PNG of that JPEG, and as image-only PDFs holding the
// JPEG itself (DCTDecode) or the PNG (FlateDecode).

// scanDPI is the resolution of the scans.
const scanDPI = 200

// scanFile is one file of the scans.
type scanFile struct {
	name, what string
	data       []byte
}

// generateScans writes the scans and their expected.json into dir.
func generateScans(dir string) (int, error) {
	var list []samples.Expected
	rng := rand.New(rand.NewPCG(2026, 16))
	picked := 0
	for _, s := range labelledSpecs(labelledRand()) {
		if s.layout != "text" || picked == 2 {
			continue
		}
		picked++
		base := strings.TrimSuffix(s.file, ".txt")
		jpg, err := scan(s.text(), rng)
		if err != nil {
			return 0, err
		}
		img, err := jpeg.Decode(bytes.NewReader(jpg))
		if err != nil {
			return 0, err
		}
		var pngData bytes.Buffer
		if err := png.Encode(&pngData, img); err != nil {
			return 0, err
		}
		files := []scanFile{
			{base + "-layer.pdf", "PDF with a text layer, for comparison", textPDF(s.text())},
			{base + "-scan.png", "PNG", pngData.Bytes()},
			{base + "-scan-jpeg.pdf", "image-only PDF of a JPEG", imagePDF(jpg, "JPG")},
		}
		if picked == 1 {
			files = append(files, scanFile{base + "-scan-png.pdf", "image-only PDF of a PNG (Flate)", imagePDF(pngData.Bytes(), "PNG")})
		}
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
				return 0, err
			}
			e := samples.Expected{
				File: f.name, Type: schema.Invoice, Outcome: samples.OutcomeRules, Fields: &s.fields,
				Description: fmt.Sprintf("scan of labelled/%s (%s invoice), as a %s", s.file, s.loc.lang, f.what),
			}
			if f.name != files[0].name {
				e.OCR, e.TextVersion = true, files[0].name
			}
			list = append(list, e)
		}
	}
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return 0, err
	}
	return len(list), os.WriteFile(filepath.Join(dir, samples.ExpectedFile), append(b, '\n'), 0o644)
}

// scan draws text on a grey A4 page, turns it slightly, speckles it and
// returns it as a JPEG.
func scan(text string, rng *rand.Rand) ([]byte, error) {
	w, h := 210*scanDPI*10/254, 297*scanDPI*10/254
	tt, err := opentype.Parse(gomono.TTF)
	if err != nil {
		return nil, err
	}
	face, err := opentype.NewFace(tt, &opentype.FaceOptions{Size: 10, DPI: scanDPI, Hinting: font.HintingFull})
	if err != nil {
		return nil, err
	}
	defer face.Close()
	paper := uint8(0xD8 + rng.IntN(16))
	page := image.NewGray(image.Rect(0, 0, w, h))
	for i := range page.Pix {
		page.Pix[i] = paper
	}
	d := font.Drawer{Dst: page, Src: image.NewUniform(color.Gray{Y: 0x28}), Face: face}
	lineHeight := face.Metrics().Height.Ceil() * 5 / 4
	for i, line := range strings.Split(text, "\n") {
		d.Dot = fixed.P(w/12, h/12+i*lineHeight)
		d.DrawString(line)
	}
	turned := rotate(page, (rng.Float64()-0.5)*1.6*math.Pi/180, paper)
	for range len(turned.Pix) / 400 { // one pixel in 400 is a speck
		i := rng.IntN(len(turned.Pix))
		turned.Pix[i] = uint8(64 + rng.IntN(192))
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, turned, &jpeg.Options{Quality: 55}); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// rotate turns img by angle radians about its centre, sampling bilinearly;
// what comes from outside it is the paper's grey.
func rotate(img *image.Gray, angle float64, paper uint8) *image.Gray {
	b := img.Bounds()
	out := image.NewGray(b)
	cx, cy := float64(b.Dx())/2, float64(b.Dy())/2
	sin, cos := math.Sincos(angle)
	at := func(x, y int) float64 {
		if x < 0 || y < 0 || x >= b.Dx() || y >= b.Dy() {
			return float64(paper)
		}
		return float64(img.Pix[y*img.Stride+x])
	}
	for y := range b.Dy() {
		for x := range b.Dx() {
			dx, dy := float64(x)-cx, float64(y)-cy
			sx, sy := cos*dx+sin*dy+cx, -sin*dx+cos*dy+cy
			x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
			fx, fy := sx-float64(x0), sy-float64(y0)
			v := (at(x0, y0)*(1-fx)+at(x0+1, y0)*fx)*(1-fy) + (at(x0, y0+1)*(1-fx)+at(x0+1, y0+1)*fx)*fy
			out.Pix[y*out.Stride+x] = uint8(math.Round(v))
		}
	}
	return out
}

// textPDF draws text on an A4 page in Courier where scan draws it.
func textPDF(text string) []byte {
	d := newDoc(a4)
	d.AddPage()
	d.SetFont("Courier", "", 10)
	lineHeight := 10 * 1.17 * 1.25 * 25.4 / 72 // Go Mono's line height, in mm, as in scan
	for i, line := range strings.Split(text, "\n") {
		d.at(210.0/12, 297.0/12+float64(i)*lineHeight, line)
	}
	return d.bytes()
}

// imagePDF returns an A4 PDF whose one page is the image (of fpdf's type
// "JPG" or "PNG") and nothing else.
func imagePDF(img []byte, typ string) []byte {
	d := newDoc(a4)
	d.AddPage()
	opts := fpdf.ImageOptions{ImageType: typ}
	d.RegisterImageOptionsReader("scan", opts, bytes.NewReader(img))
	d.ImageOptions("scan", 0, 0, 210, 297, false, opts, 0, "")
	return d.bytes()
}
