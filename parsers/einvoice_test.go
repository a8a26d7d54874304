package parsers

import (
	"bytes"
	"compress/zlib"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/einvoice"
	"github.com/dataforge/dataforge/samples"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

// TestEmbeddedEInvoice reads the factur-x.xml out of the sample PDF, through
// the /EmbeddedFiles name tree and, with that tree hidden, through /AF.
func TestEmbeddedEInvoice(t *testing.T) {
	t.Parallel()
	pdf := readFile(t, filepath.Join(samples.Dir(), "einvoice-factur-x.pdf"))
	want := readFile(t, filepath.Join(samples.EInvoiceDir(), "cii-en16931.xml"))

	doc, err := Parse(context.Background(), pdf, MediaPDF, DefaultLimits())
	require.NoError(t, err)
	require.True(t, bytes.Equal(want, doc.EInvoice))
	require.Equal(t, "factur-x.xml", doc.EInvoiceName)
	require.Contains(t, doc.Text, "RECHNUNG / INVOICE", "the visible text is still read")

	// Same length, so the xref offsets stay right: only /AF names the file.
	noTree := bytes.ReplaceAll(pdf, []byte("/EmbeddedFiles"), []byte("/EmbeddedFilez"))
	doc, err = Parse(context.Background(), noTree, MediaPDF, DefaultLimits())
	require.NoError(t, err)
	require.True(t, bytes.Equal(want, doc.EInvoice))

	// PDFs without attachments have none.
	doc, err = Parse(context.Background(), readFile(t, filepath.Join(samples.Dir(), "invoice-classic.pdf")), MediaPDF, DefaultLimits())
	require.NoError(t, err)
	require.True(t, doc.EInvoice == nil)
}

func TestXMLDocuments(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"cii-basic.xml", "ubl-credit-note.xml", "zugferd1-comfort.xml"} {
		data := readFile(t, filepath.Join(samples.EInvoiceDir(), name))
		require.Equal(t, MediaXML, DetectMediaType(name, data), name)
		doc, err := Parse(context.Background(), data, "", DefaultLimits())
		require.NoError(t, err, name)
		require.True(t, bytes.Equal(data, doc.EInvoice), name)
		inv, err := einvoice.Read(data)
		require.NoError(t, err)
		require.Equal(t, inv.Text(), doc.Text, "the visible text renders the fields")
		require.Equal(t, "invoice", string(Classify(doc.Text).Type), name)
	}

	other := []byte(`<?xml version="1.0"?><order><id>1</id></order>`)
	require.Equal(t, MediaXML, DetectMediaType("order.xml", other))
	_, err := Parse(context.Background(), other, MediaXML, DefaultLimits())
	requireCode(t, CodeUnsupported, err)

	// A CII document whose XML is broken keeps its own text for the
	// other tiers; the einvoice tier reports why it cannot read it.
	good := readFile(t, filepath.Join(samples.EInvoiceDir(), "cii-basic.xml"))
	broken := good[:len(good)-40]
	doc, err := Parse(context.Background(), broken, MediaXML, DefaultLimits())
	require.NoError(t, err)
	require.Contains(t, doc.Text, "FX-2024-0042")
	require.NotNil(t, doc.EInvoice)
}

// attachedPDF is a one-page PDF whose catalog names tree is names, with the
// extra objects from number 7 on.
func attachedPDF(names string, objects ...string) []byte {
	return buildPDF("%PDF-1.7", append([]string{
		"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles " + names + " >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		helvetica,
		stream("", "BT /F1 10 Tf 50 800 Td (Rechnung 471102, see the attached XML) Tj ET"),
		"<< >>",
	}, objects...)...)
}

func TestEmbeddedEInvoiceBounds(t *testing.T) {
	t.Parallel()
	xml := readFile(t, filepath.Join(samples.EInvoiceDir(), "zugferd1-comfort.xml"))

	// A names tree whose kids refer back to it ends, and still yields the
	// ZUGFeRD 1 file under its old name.
	looped := attachedPDF("7 0 R",
		"<< /Kids [7 0 R 7 0 R 7 0 R 8 0 R] >>",
		"<< /Names [(ZUGFeRD-invoice.xml) 9 0 R] >>",
		"<< /Type /Filespec /F (ZUGFeRD-invoice.xml) /EF << /F 10 0 R >> >>",
		// The embedded file's /Size is its length in bytes, which may be
		// more objects than the file could hold: not an object count.
		stream("/Type /EmbeddedFile /Params << /CheckSum <00ff> /ModDate (D:2024\\) (x)) /Size 99999999 >>", string(xml)))
	doc, err := Parse(context.Background(), looped, MediaPDF, DefaultLimits())
	require.NoError(t, err)
	require.True(t, bytes.Equal(xml, doc.EInvoice))
	require.Equal(t, "ZUGFeRD-invoice.xml", doc.EInvoiceName)
	_, err = Parse(context.Background(), bytes.Replace(looped, []byte("/Size 11"), []byte("/Size 99999999"), 1), MediaPDF, DefaultLimits())
	requireCode(t, CodeCorrupt, err)

	// An attachment that inflates beyond einvoice.MaxBytes, and one with a
	// filter the reader does not know, are skipped; the text is still read.
	var bomb bytes.Buffer
	zw := zlib.NewWriter(&bomb)
	_, err = zw.Write(bytes.Repeat([]byte(" "), einvoice.MaxBytes+1))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	skipped := attachedPDF("<< /Names [(a) 7 0 R (b) 9 0 R] >>",
		"<< /Type /Filespec /F (factur-x.xml) /EF << /F 8 0 R >> >>",
		stream("/Type /EmbeddedFile /Filter /FlateDecode", bomb.String()),
		"<< /Type /Filespec /F (xrechnung.xml) /EF << /F 10 0 R >> >>",
		stream("/Type /EmbeddedFile /Filter /JBIG2Decode", string(xml)))
	doc, err = Parse(context.Background(), skipped, MediaPDF, DefaultLimits())
	require.NoError(t, err)
	require.True(t, doc.EInvoice == nil)
	require.Contains(t, doc.Text, "Rechnung 471102")
}
