package images

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"

	"golang.org/x/image/draw"

	"github.com/dataforge/dataforge/parsers"
)

// MaxModelSide is the longest side of an image sent to a vision model:
// OpenAI's high-detail mode scales anything larger down to it anyway, so
// larger images only cost upload time.
const MaxModelSide = 2048

// ForModel returns p ready for a vision model: decoded (within maxPixels),
// scaled down so that its longer side is at most maxSide, and encoded as a
// JPEG of good quality.
func ForModel(p Page, maxSide int, maxPixels int64) (Page, error) {
	img, _, err := Decode(p.Data, maxPixels)
	if err != nil {
		return Page{}, err
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if long := max(w, h); long > maxSide {
		w, h = max(1, w*maxSide/long), max(1, h*maxSide/long)
		scaled := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.ApproxBiLinear.Scale(scaled, scaled.Bounds(), img, b, draw.Src, nil)
		img = scaled
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, img, &jpeg.Options{Quality: 85}); err != nil {
		return Page{}, &parsers.Error{Code: parsers.CodeCorrupt, Detail: fmt.Sprintf("re-encoding page %d: %v", p.Number, err)}
	}
	return Page{MediaType: parsers.MediaJPEG, Data: out.Bytes(), Width: w, Height: h, Number: p.Number}, nil
}

// ModelTokens is what an image of w×h pixels costs in high detail, as OpenAI
// counts it: scaled to fit 2048×2048, then its shorter side to 768, and
// 170 tokens per 512-pixel tile plus 85.
func ModelTokens(w, h int) int {
	fw, fh := float64(w), float64(h)
	if s := 2048 / max(fw, fh); s < 1 {
		fw, fh = fw*s, fh*s
	}
	if s := 768 / min(fw, fh); s < 1 {
		fw, fh = fw*s, fh*s
	}
	tiles := int(math.Ceil(fw/512)) * int(math.Ceil(fh/512))
	return 85 + 170*tiles
}
