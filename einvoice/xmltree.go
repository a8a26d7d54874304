package einvoice

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// Bounds of the XML a document may hold.
const (
	// MaxBytes is the largest XML accepted.
	MaxBytes = 10 << 20
	// MaxDepth is the deepest element nesting accepted; real invoices
	// stay below 15.
	MaxDepth = 64
	// maxTokens bounds the elements and text runs read.
	maxTokens = 2_000_000
)

// node is an element of the parsed document: its local name, attributes by
// local name, character data and children. Namespaces are dropped: the
// element names of CII and UBL do not collide within one document.
type node struct {
	name     string
	attrs    map[string]string
	text     string
	children []*node
}

// parseTree reads data into a tree, refusing DTDs (and so every entity
// declaration), nesting deeper than MaxDepth, more than maxTokens tokens and
// anything that is not well-formed XML.
func parseTree(data []byte) (*node, error) {
	if len(data) > MaxBytes {
		return nil, newError(CodeTooLarge, "%d bytes, limit %d", len(data), MaxBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = charsetReader
	var root *node
	var stack []*node
	var text strings.Builder
	for tokens := 0; ; tokens++ {
		if tokens > maxTokens {
			return nil, newError(CodeTooLarge, "more than %d XML tokens", maxTokens)
		}
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, newError(CodeMalformed, "%v", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, newError(CodeMalformed, "a DTD or other <!…> declaration is not allowed")
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, newError(CodeMalformed, "more than one root element")
			}
			if len(stack) >= MaxDepth {
				return nil, newError(CodeTooDeep, "elements nested deeper than %d", MaxDepth)
			}
			n := &node{name: t.Name.Local}
			for _, a := range t.Attr {
				if n.attrs == nil {
					n.attrs = map[string]string{}
				}
				n.attrs[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
			text.Reset()
		case xml.EndElement:
			if len(stack) == 0 {
				return nil, newError(CodeMalformed, "unexpected </%s>", t.Name.Local)
			}
			n := stack[len(stack)-1]
			if len(n.children) == 0 {
				n.text = strings.TrimSpace(text.String())
			}
			stack = stack[:len(stack)-1]
			text.Reset()
		case xml.CharData:
			if len(stack) > 0 && text.Len()+len(t) <= MaxBytes {
				text.Write(t)
			}
		}
	}
	if root == nil {
		return nil, newError(CodeMalformed, "no root element")
	}
	if len(stack) > 0 {
		return nil, newError(CodeMalformed, "element <%s> is not closed", stack[len(stack)-1].name)
	}
	return root, nil
}

// charsetReader decodes the single-byte encodings invoices declare besides
// UTF-8.
func charsetReader(label string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return r, nil
	case "iso-8859-1", "latin1", "latin-1", "iso_8859-1":
		return charmap.ISO8859_1.NewDecoder().Reader(r), nil
	case "iso-8859-15", "latin-9":
		return charmap.ISO8859_15.NewDecoder().Reader(r), nil
	case "windows-1252", "cp1252":
		return charmap.Windows1252.NewDecoder().Reader(r), nil
	}
	return nil, fmt.Errorf("unsupported encoding %q", label)
}

// child returns the first child named name, or nil.
func (n *node) child(name string) *node {
	if n == nil {
		return nil
	}
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// all returns the children named name.
func (n *node) all(name string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, c := range n.children {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}

// path follows a chain of child names; each step may name alternatives
// separated by "|" (ZUGFeRD 1 and CII D16B spell some elements apart).
func (n *node) path(steps ...string) *node {
	for _, s := range steps {
		var next *node
		for _, alt := range strings.Split(s, "|") {
			if next = n.child(alt); next != nil {
				break
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

// str is the text of the node at path, or "".
func (n *node) str(steps ...string) string {
	if m := n.path(steps...); m != nil {
		return m.text
	}
	return ""
}

// attr is an attribute of n, or "".
func (n *node) attr(name string) string {
	if n == nil {
		return ""
	}
	return n.attrs[name]
}
