package parsers

import (
	"bytes"
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
