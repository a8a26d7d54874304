package images

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"

	"github.com/ledongthuc/pdf"

	"github.com/dataforge/dataforge/parsers"
)

// minSide is the smallest width and height of a page image worth reading:
// smaller ones are bullets, rules and logos.
const minSide = 32

// FromPDF returns the page images of a PDF, in page order: the image
// XObjects of each page's resources (images inside forms, and stencil masks,
// are not looked at), each checked like Decode. It fails with CodeNoText
// when the PDF has none, and with CodeUnsupported for an image it cannot
// read (JBIG2, CCITT, JPEG 2000, indexed or CMYK samples, other than 8 bits).
func FromPDF(ctx context.Context, data []byte, lim parsers.Limits) ([]Page, error) {
	lim = lim.WithDefaults()
	var out []Page
	err := parsers.ReadPDF(ctx, data, lim, func(file []byte, pages []parsers.PDFPage) error {
		for i, p := range pages {
			xobjects := p.Resources.Key("XObject")
			for _, name := range xobjects.Keys() {
				x := xobjects.Key(name)
				if x.Kind() != pdf.Stream || x.Key("Subtype").Name() != "Image" || x.Key("ImageMask").Bool() {
					continue
				}
				w, h := int(x.Key("Width").Int64()), int(x.Key("Height").Int64())
				if w < minSide || h < minSide {
					continue
				}
				if len(out) >= lim.MaxPages {
					return &parsers.Error{Code: parsers.CodeTooManyPages, Detail: fmt.Sprintf("more than %d page images", lim.MaxPages)}
				}
				img, err := pageImage(file, x, w, h, lim.MaxPixels)
				if err != nil {
					err.Detail = fmt.Sprintf("page %d, image %s: %s", i+1, name, err.Detail)
					return err
				}
				img.Number = i + 1
				out = append(out, img)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, &parsers.Error{Code: parsers.CodeNoText, Detail: "no text layer and no page images"}
	}
	return out, nil
}

// pageImage turns an image XObject into a PNG or JPEG file.
func pageImage(file []byte, x pdf.Value, w, h int, maxPixels int64) (Page, *parsers.Error) {
	if err := checkSize(w, h, maxPixels); err != nil {
		return Page{}, err
	}
	filter := x.Key("Filter")
	params := x.Key("DecodeParms")
	if filter.Kind() == pdf.Array {
		if filter.Len() != 1 {
			return Page{}, unsupported("a chain of %d filters", filter.Len())
		}
		filter, params = filter.Index(0), params.Index(0)
	}
	raw, err := rawStream(file, x)
	if err != nil {
		return Page{}, err
	}
	var data []byte
	switch filter.Name() {
	case "DCTDecode":
		data = raw
	case "FlateDecode", "": // "": samples as they are
		if data, err = samplesToPNG(raw, filter.Name() != "", x, params, w, h); err != nil {
			return Page{}, err
		}
	default:
		return Page{}, unsupported("images compressed with %s", filter)
	}
	_, p, derr := Decode(data, maxPixels)
	if derr != nil {
		return p, derr.(*parsers.Error) // Decode fails with no other type
	}
	return p, nil
}

// rawStream returns the bytes of stream x as they are in file, undecoded:
// the pdf library decodes Flate only. Its stream values print as their
// dictionary, "@" and the offset of their data (pdf.Value.String), the one
// place it tells that offset.
func rawStream(file []byte, x pdf.Value) ([]byte, *parsers.Error) {
	s := x.String()
	at := strings.LastIndexByte(s, '@')
	off, err := strconv.ParseInt(s[at+1:], 10, 64)
	n := x.Key("Length").Int64()
	if at < 0 || err != nil || off < 0 || n <= 0 || off > int64(len(file)) || n > int64(len(file))-off {
		return nil, &parsers.Error{Code: parsers.CodeCorrupt, Detail: "an image stream outside the file"}
	}
	return file[off : off+n], nil
}

// samplesToPNG re-encodes 8-bit grey or RGB samples, Flate-compressed
// (flate) or not, as a PNG file. Compressed samples with a PNG predictor
// (10 to 15) already are PNG image data: they are wrapped as they are.
// Others are compressed again, each row after a filter byte, as many rows
// as the image has and no more.
func samplesToPNG(raw []byte, flate bool, x, params pdf.Value, w, h int) ([]byte, *parsers.Error) {
	if bpc := x.Key("BitsPerComponent").Int64(); bpc != 8 {
		return nil, unsupported("%d bits per sample", bpc)
	}
	colors, colorType := 0, byte(0)
	switch cs := colorSpace(x.Key("ColorSpace")); cs {
	case "DeviceGray":
		colors, colorType = 1, 0
	case "DeviceRGB":
		colors, colorType = 3, 2
	default:
		return nil, unsupported("images in the %s colour space", cs)
	}
	idat := raw
	switch pred := params.Key("Predictor").Int64(); {
	case !flate:
		var err *parsers.Error
		if idat, err = filterRows(bytes.NewReader(raw), w*colors, h); err != nil {
			return nil, err
		}
	case pred >= 10:
		c, cols := params.Key("Colors").Int64(), params.Key("Columns").Int64()
		if (c != 0 && c != int64(colors)) || cols != int64(w) || params.Key("BitsPerComponent").Int64() > 8 {
			return nil, unsupported("a predictor whose rows are not the image's")
		}
	case pred <= 1:
		zr, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, &parsers.Error{Code: parsers.CodeCorrupt, Detail: fmt.Sprintf("image stream: %v", err)}
		}
		var perr *parsers.Error
		if idat, perr = filterRows(zr, w*colors, h); perr != nil {
			return nil, perr
		}
	default:
		return nil, unsupported("TIFF predictor %d", pred)
	}
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	var hdr [13]byte
	binary.BigEndian.PutUint32(hdr[0:], uint32(w))
	binary.BigEndian.PutUint32(hdr[4:], uint32(h))
	hdr[8], hdr[9] = 8, colorType // compression, filter and interlace 0
	chunk(&b, "IHDR", hdr[:])
	chunk(&b, "IDAT", idat)
	chunk(&b, "IEND", nil)
	return b.Bytes(), nil
}

// colorSpace names a colour space, an ICC-based one by the device space of
// as many components.
func colorSpace(cs pdf.Value) string {
	if cs.Kind() == pdf.Array && cs.Index(0).Name() == "ICCBased" {
		switch cs.Index(1).Key("N").Int64() {
		case 1:
			return "DeviceGray"
		case 3:
			return "DeviceRGB"
		}
	}
	if cs.Kind() == pdf.Array {
		return cs.Index(0).Name()
	}
	return cs.Name()
}

// filterRows reads h rows of stride bytes and compresses them with a PNG
// filter byte (none) before each.
func filterRows(zr io.Reader, stride, h int) ([]byte, *parsers.Error) {
	var out bytes.Buffer
	zw := zlib.NewWriter(&out)
	row := make([]byte, 1+stride)
	for range h {
		if _, err := io.ReadFull(zr, row[1:]); err != nil {
			return nil, &parsers.Error{Code: parsers.CodeCorrupt, Detail: fmt.Sprintf("image stream: %v", err)}
		}
		zw.Write(row) // a bytes.Buffer does not fail
	}
	zw.Close()
	return out.Bytes(), nil
}

// chunk writes a PNG chunk: length, type, data and CRC.
func chunk(b *bytes.Buffer, typ string, data []byte) {
	binary.Write(b, binary.BigEndian, uint32(len(data)))
	crc := crc32.NewIEEE()
	io.WriteString(crc, typ)
	crc.Write(data)
	b.WriteString(typ)
	b.Write(data)
	binary.Write(b, binary.BigEndian, crc.Sum32())
}

func unsupported(format string, args ...any) *parsers.Error {
	return &parsers.Error{Code: parsers.CodeUnsupported, Detail: fmt.Sprintf(format, args...)}
}
