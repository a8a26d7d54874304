package images

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/parsers/hostile"
	"github.com/dataforge/dataforge/samples"
)

// pngHeader returns a PNG file of w×h 8-bit grey pixels whose image data is
// idat (not necessarily as much as the header claims).
func pngHeader(w, h uint32, idat []byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	var hdr [13]byte
	binary.BigEndian.PutUint32(hdr[0:], w)
	binary.BigEndian.PutUint32(hdr[4:], h)
	hdr[8] = 8
	chunk(&b, "IHDR", hdr[:])
	chunk(&b, "IDAT", idat)
	chunk(&b, "IEND", nil)
	return b.Bytes()
}

// zeros returns n zero bytes, compressed.
func zeros(n int) []byte {
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	block := make([]byte, 64<<10)
	for ; n > 0; n -= len(block) {
		zw.Write(block[:min(n, len(block))])
	}
	zw.Close()
	return b.Bytes()
}

func smallJPEG(t *testing.T) []byte {
	img := image.NewGray(image.Rect(0, 0, 200, 100))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, img, nil))
	return b.Bytes()
}

// requireBounded runs f and requires it to allocate less than limit bytes.
func requireBounded(t *testing.T, limit uint64, f func()) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, limit, "bytes allocated")
}

// TestHostileImages: typed failures, in little memory.
func TestHostileImages(t *testing.T) {
	jpg := smallJPEG(t)
	var gif bytes.Buffer
	gif.WriteString("GIF89a")
	cases := []struct {
		name string
		data []byte
		want parsers.Code
		heap uint64 // most bytes Decode may allocate
	}{
		// 1 pixel wide, 10^8 pixels high: refused from its header.
		{"tall PNG", pngHeader(1, 100_000_000, zeros(1<<16)), parsers.CodeTooLarge, 1 << 20},
		// 10^10 pixels, the first 256 MiB of them in a quarter megabyte.
		{"PNG bomb", pngHeader(100_000, 100_000, zeros(256<<20)), parsers.CodeTooLarge, 1 << 20},
		// Claims 4000×4000 (allowed: 16 MB decoded) but holds a few rows.
		{"short PNG", pngHeader(4000, 4000, zeros(4001*10)), parsers.CodeCorrupt, 20 << 20},
		{"empty PNG", pngHeader(0, 10, nil), parsers.CodeCorrupt, 1 << 20},
		{"truncated JPEG", jpg[:len(jpg)/2], parsers.CodeCorrupt, 1 << 20},
		{"JPEG header only", jpg[:20], parsers.CodeCorrupt, 1 << 20},
		{"GIF", gif.Bytes(), parsers.CodeUnsupported, 1 << 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			requireBounded(t, c.heap, func() {
				_, _, err := Decode(c.data, parsers.DefaultLimits().MaxPixels)
				var perr *parsers.Error
				require.ErrorAs(t, err, &perr)
				require.Equal(t, c.want, perr.Code, "%v", err)
			})
		})
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	img, p, err := Decode(smallJPEG(t), 20_000)
	require.NoError(t, err)
	require.Equal(t, Page{MediaType: parsers.MediaJPEG, Data: p.Data, Width: 200, Height: 100, Number: 1}, p)
	require.Equal(t, image.Rect(0, 0, 200, 100), img.Bounds())
	_, _, err = Decode(smallJPEG(t), 19_999)
	code, _ := parsers.CodeOf(err)
	require.Equal(t, parsers.CodeTooLarge, code)
}

// TestFromPDF takes the page images out of the generated scans and of
// image-only PDFs: a JPEG stream as it is, Flate and raw samples as PNG.
func TestFromPDF(t *testing.T) {
	t.Parallel()
	list, err := samples.LoadDir(samples.ScanDir())
	require.NoError(t, err)
	want := map[string]string{"jpeg.pdf": parsers.MediaJPEG, "-png.pdf": parsers.MediaPNG}
	n := 0
	for _, s := range list {
		for suffix, mt := range want {
			if !bytes.HasSuffix([]byte(s.File), []byte(suffix)) {
				continue
			}
			n++
			data, err := s.Read()
			require.NoError(t, err)
			pages, err := FromPDF(context.Background(), data, parsers.Limits{})
			require.NoError(t, err, s.File)
			require.Len(t, pages, 1)
			require.Equal(t, mt, pages[0].MediaType, s.File)
			require.Equal(t, 1, pages[0].Number)
			require.Greater(t, pages[0].Width*pages[0].Height, 1_000_000)
		}
	}
	require.Equal(t, 3, n)

	pages, err := FromPDF(context.Background(), hostile.ImageOnly(), parsers.Limits{})
	require.NoError(t, err)
	require.Len(t, pages, 1)
	img, err := png.Decode(bytes.NewReader(pages[0].Data))
	require.NoError(t, err)
	require.Equal(t, color.Gray{Y: 0x80}, color.GrayModel.Convert(img.At(10, 10)))

	_, err = FromPDF(context.Background(), hostile.ImageOnly(), parsers.Limits{MaxPixels: 64*64 - 1})
	code, _ := parsers.CodeOf(err)
	require.Equal(t, parsers.CodeTooLarge, code, "%v", err)

	_, err = FromPDF(context.Background(), hostile.ImageOnlyJBIG2(), parsers.Limits{})
	code, _ = parsers.CodeOf(err)
	require.Equal(t, parsers.CodeUnsupported, code, "%v", err)

	// A PDF with text and no images has nothing to read.
	_, err = FromPDF(context.Background(), hostile.OnePage(nil), parsers.Limits{})
	code, _ = parsers.CodeOf(err)
	require.Equal(t, parsers.CodeNoText, code, "%v", err)
}

func TestTurn(t *testing.T) {
	t.Parallel()
	img := image.NewGray(image.Rect(0, 0, 3, 2)) // 0 1 2 / 3 4 5
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	for turns, want := range map[int][]uint8{
		0: {0, 1, 2, 3, 4, 5},
		1: {3, 0, 4, 1, 5, 2},
		2: {5, 4, 3, 2, 1, 0},
		3: {2, 5, 1, 4, 0, 3},
	} {
		got, err := png.Decode(bytes.NewReader(Turn(img, turns)))
		require.NoError(t, err)
		require.Equal(t, want, got.(*image.Gray).Pix, "%d turns", turns)
	}
}

func FuzzDecode(f *testing.F) {
	jpg := smallJPEG(&testing.T{})
	f.Add(jpg)
	f.Add(jpg[:len(jpg)/2])
	f.Add(pngHeader(3, 2, zeros(8)))
	var b bytes.Buffer
	png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 5, 5)))
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, err := Decode(data, 1<<20)
		if err != nil {
			var perr *parsers.Error
			require.ErrorAs(t, err, &perr)
		}
	})
}

func FuzzFromPDF(f *testing.F) {
	f.Add(hostile.ImageOnly())
	if list, err := samples.LoadDir(samples.ScanDir()); err == nil {
		for _, s := range list {
			if data, err := s.Read(); err == nil && parsers.DetectMediaType(s.File, data) == parsers.MediaPDF {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := FromPDF(context.Background(), data, parsers.Limits{MaxPixels: 1 << 20})
		if err != nil {
			var perr *parsers.Error
			require.ErrorAs(t, err, &perr)
		}
	})
}

// TestClean: grey paper turns white and grey ink black, a lone speck goes,
// and a stroke three pixels wide stays.
func TestClean(t *testing.T) {
	t.Parallel()
	img := image.NewGray(image.Rect(0, 0, 60, 40))
	for i := range img.Pix {
		img.Pix[i] = 0xC8 // grey paper
	}
	for y := 10; y < 30; y++ {
		for x := 20; x < 23; x++ {
			img.Pix[y*img.Stride+x] = 0x40 // a stroke of grey ink
		}
	}
	img.Pix[5*img.Stride+50] = 0x10 // a speck
	out := Clean(img)
	require.Equal(t, img.Bounds(), out.Bounds())
	require.Equal(t, uint8(0xFF), out.GrayAt(5, 5).Y, "paper")
	require.Equal(t, uint8(0xFF), out.GrayAt(50, 5).Y, "the speck is gone")
	require.Equal(t, uint8(0x00), out.GrayAt(21, 20).Y, "ink")
	require.Less(t, out.GrayAt(20, 20).Y, uint8(0x40), "the stroke keeps its width")
}

// BenchmarkClean cleans a generated scan's page (A4 at 200 dpi), as OCR
// does before each read.
func BenchmarkClean(b *testing.B) {
	list, err := samples.LoadDir(samples.ScanDir())
	require.NoError(b, err)
	for _, s := range list {
		if !strings.HasSuffix(s.File, ".png") {
			continue
		}
		data, err := s.Read()
		require.NoError(b, err)
		img, _, err := Decode(data, parsers.DefaultLimits().MaxPixels)
		require.NoError(b, err)
		b.ReportAllocs()
		for b.Loop() {
			Clean(img)
		}
		return
	}
	b.Fatal("no PNG scan")
}
