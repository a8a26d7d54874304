// Package images reads the pictures OCR works on, with bounds: PNG and JPEG
// files, whose size is checked from their header before they are decoded,
// and the page images of image-only PDFs (JPEG streams as they are, Flate
// streams of 8-bit grey or RGB samples re-encoded as PNG). Every failure is
// a *parsers.Error. TIFF is not read: golang.org/x/image/tiff decodes the
// first page of a file only.
package images

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"

	"github.com/dataforge/dataforge/parsers"
)

// Page is one picture of a document: a PNG or JPEG file's bytes.
type Page struct {
	MediaType     string // parsers.MediaPNG or parsers.MediaJPEG
	Data          []byte
	Width, Height int
	Number        int // the page of the document it is on, from 1
}

// MediaType returns parsers.MediaPNG or parsers.MediaJPEG from data's
// signature, or "" for anything else.
func MediaType(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return parsers.MediaPNG
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return parsers.MediaJPEG
	}
	return ""
}

// Check reads the header of a PNG or JPEG file and returns its size. It
// fails with CodeUnsupported for another format, CodeCorrupt for a header
// that cannot be read and CodeTooLarge for more than maxPixels pixels.
func Check(data []byte, maxPixels int64) (Page, error) {
	mt := MediaType(data)
	var cfg image.Config
	var err error
	switch mt {
	case parsers.MediaPNG:
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	case parsers.MediaJPEG:
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	default:
		return Page{}, &parsers.Error{Code: parsers.CodeUnsupported, Detail: "an image that is neither PNG nor JPEG"}
	}
	if err != nil {
		return Page{}, &parsers.Error{Code: parsers.CodeCorrupt, Detail: fmt.Sprintf("%s header: %v", mt, err)}
	}
	if err := checkSize(cfg.Width, cfg.Height, maxPixels); err != nil {
		return Page{}, err
	}
	return Page{MediaType: mt, Data: data, Width: cfg.Width, Height: cfg.Height, Number: 1}, nil
}

// checkSize refuses an empty image and one of more than maxPixels pixels.
func checkSize(w, h int, maxPixels int64) *parsers.Error {
	if w <= 0 || h <= 0 {
		return &parsers.Error{Code: parsers.CodeCorrupt, Detail: fmt.Sprintf("an image of %d×%d pixels", w, h)}
	}
	if int64(w) > maxPixels/int64(h) {
		return &parsers.Error{Code: parsers.CodeTooLarge, Detail: fmt.Sprintf("an image of %d×%d pixels, limit %d pixels", w, h, maxPixels)}
	}
	return nil
}

// Decode checks data (see Check) and decodes it, so that a truncated or
// damaged image fails here with CodeCorrupt rather than in the OCR engine.
func Decode(data []byte, maxPixels int64) (image.Image, Page, error) {
	p, err := Check(data, maxPixels)
	if err != nil {
		return nil, p, err
	}
	var img image.Image
	if p.MediaType == parsers.MediaPNG {
		img, err = png.Decode(bytes.NewReader(data))
	} else {
		img, err = jpeg.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, p, &parsers.Error{Code: parsers.CodeCorrupt, Detail: fmt.Sprintf("%s: %v", p.MediaType, err)}
	}
	return img, p, nil
}

// Turn returns img turned by quarter turns clockwise (0 to 3), in grey, as
// a PNG file.
func Turn(img image.Image, turns int) []byte {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	turns = ((turns % 4) + 4) % 4
	out := image.NewGray(image.Rect(0, 0, w, h))
	if turns%2 == 1 {
		out = image.NewGray(image.Rect(0, 0, h, w))
	}
	for y := range h {
		for x := range w {
			var tx, ty int
			switch turns {
			case 0:
				tx, ty = x, y
			case 1:
				tx, ty = h-1-y, x
			case 2:
				tx, ty = w-1-x, h-1-y
			case 3:
				tx, ty = y, w-1-x
			}
			out.Pix[ty*out.Stride+tx] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, out) // a bytes.Buffer does not fail
	return buf.Bytes()
}

// Clean returns img in grey, made easier to read by OCR: its levels
// stretched so that the paper is white and the ink black (scans come grey
// on grey), and specks taken out by a 3×3 median filter, which keeps
// strokes wider than a pixel. Measured on the generated scans (200 dpi,
// speckled JPEG): it mends umlauts, ligatures and digits Tesseract misread
// ("Biiromaterial", "d'euvre", "1:" for "1") and raises the mean word
// confidence by one or two points.
func Clean(img image.Image) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			g.Pix[y*g.Stride+x] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
		}
	}
	stretch(g)
	return median3(g)
}

// stretch maps the level under which the darkest 0.5 % of the pixels are to
// black and the one over which the lightest 5 % are to white, linearly; a
// page with less contrast than that is left as it is.
func stretch(g *image.Gray) {
	var hist [256]int
	for _, p := range g.Pix {
		hist[p]++
	}
	lo, n := 0, 0
	for ; lo < 255; lo++ {
		if n += hist[lo]; n > len(g.Pix)/200 {
			break
		}
	}
	hi := 255
	for n = 0; hi > 0; hi-- {
		if n += hist[hi]; n > len(g.Pix)/20 {
			break
		}
	}
	if hi-lo < 32 {
		return
	}
	var table [256]uint8
	for i := range table {
		table[i] = uint8(min(max((i-lo)*255/(hi-lo), 0), 255))
	}
	for i, p := range g.Pix {
		g.Pix[i] = table[p]
	}
}

// median3 returns g with each pixel the median of its 3×3 neighbourhood
// (edges repeated).
func median3(g *image.Gray) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(g.Rect)
	var win [9]uint8
	for y := range h {
		for x := range w {
			k := 0
			for dy := -1; dy <= 1; dy++ {
				row := min(max(y+dy, 0), h-1) * g.Stride
				for dx := -1; dx <= 1; dx++ {
					win[k] = g.Pix[row+min(max(x+dx, 0), w-1)]
					k++
				}
			}
			for i := 1; i < 9; i++ { // insertion sort: nine values
				for j := i; j > 0 && win[j] < win[j-1]; j-- {
					win[j], win[j-1] = win[j-1], win[j]
				}
			}
			out.Pix[y*out.Stride+x] = win[4]
		}
	}
	return out
}
