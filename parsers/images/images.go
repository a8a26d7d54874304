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
