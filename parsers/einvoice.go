package parsers

import (
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/ledongthuc/pdf"

	"github.com/dataforge/dataforge/einvoice"
)

// MediaXML is the media type of XML documents; Parse accepts the CII and UBL
// e-invoices among them.
const MediaXML = "application/xml"

// EInvoiceNames are the file names under which PDFs carry their EN 16931
// XML (Factur-X, ZUGFeRD 2, ZUGFeRD 1, XRechnung). Other .xml attachments
// count when their root element is CII or UBL.
var EInvoiceNames = []string{"factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml"}

// maxAttachments bounds the embedded files looked at in one PDF.
const maxAttachments = 256

// parseXML reads a bare CII or UBL document. Its visible text is a plain
// rendering of its fields; when the XML cannot be read, its own text, so
// that the other tiers and reviewers still see something.
func parseXML(data []byte) (*Document, error) {
	if einvoice.Sniff(data) == "" {
		return nil, newError(CodeUnsupported, "XML that is not a CII or UBL e-invoice")
	}
	doc := &Document{MediaType: MediaXML, Pages: 1, EInvoice: data, Source: SourceEInvoice}
	if inv, err := einvoice.Read(data); err == nil {
		doc.Text = inv.Text()
		return doc, nil
	}
	txt, err := parseText(data)
	if err != nil {
		return nil, err
	}
	doc.Text, doc.Source = txt.Text, SourceFile
	return doc, nil
}

// attachment is an embedded file of a PDF.
type attachment struct {
	name string
	spec pdf.Value
}

// embeddedInvoice returns the EN 16931 XML a PDF carries, and the name of the
// attachment: the first one with a known e-invoice name, else the first .xml
// attachment whose root is CII or UBL. Attachments come from the catalog's
// /Names /EmbeddedFiles tree and its /AF array; none larger than
// einvoice.MaxBytes is read. Damaged attachments are skipped.
func embeddedInvoice(r *pdf.Reader) (data []byte, name string) {
	defer func() {
		// The pdf library panics on damaged objects; a PDF whose
		// attachments cannot be read is read for its text alone.
		if recover() != nil {
			data, name = nil, ""
		}
	}()
	root := r.Trailer().Key("Root")
	var files []attachment
	budget := 4 * maxAttachments
	walkNameTree(root.Key("Names").Key("EmbeddedFiles"), &files, 0, &budget)
	af := root.Key("AF")
	for i := 0; i < af.Len() && len(files) < maxAttachments; i++ {
		spec := af.Index(i)
		files = append(files, attachment{name: fileName(spec), spec: spec})
	}
	known := func(a attachment) bool {
		for _, n := range EInvoiceNames {
			if strings.EqualFold(path.Base(a.name), n) {
				return true
			}
		}
		return false
	}
	for _, pass := range []func(attachment) bool{known, func(a attachment) bool {
		return strings.EqualFold(path.Ext(a.name), ".xml")
	}} {
		for _, a := range files {
			if !pass(a) {
				continue
			}
			if data, err := readEmbedded(a.spec); err == nil && einvoice.Sniff(data) != "" {
				return data, a.name
			}
		}
	}
	return nil, ""
}

// walkNameTree collects the leaves of a PDF name tree, bounded in depth,
// in leaves and in nodes visited (budget), so that a tree whose kids refer
// back to each other ends.
func walkNameTree(n pdf.Value, out *[]attachment, depth int, budget *int) {
	if *budget--; *budget < 0 || n.Kind() != pdf.Dict || depth > 16 {
		return
	}
	names := n.Key("Names")
	for i := 0; i+1 < names.Len() && len(*out) < maxAttachments; i += 2 {
		spec := names.Index(i + 1)
		name := fileName(spec)
		if name == "" {
			name = names.Index(i).Text()
		}
		*out = append(*out, attachment{name: name, spec: spec})
	}
	kids := n.Key("Kids")
	for i := 0; i < kids.Len() && len(*out) < maxAttachments; i++ {
		walkNameTree(kids.Index(i), out, depth+1, budget)
	}
}

// fileName is a file specification's name: /UF, else /F.
func fileName(spec pdf.Value) string {
	for _, k := range []string{"UF", "F"} {
		if s := spec.Key(k).Text(); s != "" {
			return s
		}
	}
	return ""
}

// readEmbedded decodes a file specification's embedded stream, refusing
// more than einvoice.MaxBytes of decoded data. The pdf library reports
// unsupported filters by panicking; that is an error here.
func readEmbedded(spec pdf.Value) (data []byte, err error) {
	defer func() {
		if x := recover(); x != nil {
			data, err = nil, fmt.Errorf("embedded file: %v", x)
		}
	}()
	ef := spec.Key("EF")
	stream := ef.Key("F")
	if stream.Kind() != pdf.Stream {
		stream = ef.Key("UF")
	}
	if stream.Kind() != pdf.Stream {
		return nil, fmt.Errorf("no embedded file stream")
	}
	rc := stream.Reader()
	defer rc.Close()
	data, err = io.ReadAll(io.LimitReader(rc, einvoice.MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > einvoice.MaxBytes {
		return nil, fmt.Errorf("embedded file larger than %d bytes", einvoice.MaxBytes)
	}
	return data, nil
}
