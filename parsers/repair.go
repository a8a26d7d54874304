package parsers

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
)

// objHeader finds "N G obj" at the start of a line or after whitespace.
// Go's regexp runs in time linear in the input, so a scan of a whole file
// is bounded by its size.
var objHeader = regexp.MustCompile(`(?:^|[\r\n\t >])(\d{1,9})[ \t\r\n]+(\d{1,5})[ \t\r\n]+obj\b`)

var (
	rootRef    = regexp.MustCompile(`/Root[ \t\r\n]*(\d{1,9})[ \t\r\n]+(\d{1,5})[ \t\r\n]+R`)
	infoRef    = regexp.MustCompile(`/Info[ \t\r\n]*(\d{1,9})[ \t\r\n]+(\d{1,5})[ \t\r\n]+R`)
	encryptRef = regexp.MustCompile(`/Encrypt[ \t\r\n]*(\d{1,9})[ \t\r\n]+(\d{1,5})[ \t\r\n]+R`)
	idArray    = regexp.MustCompile(`/ID[ \t\r\n]*\[[ \t\r\n]*(<[0-9A-Fa-f \t\r\n]*>|\([^)]*\))[ \t\r\n]*(<[0-9A-Fa-f \t\r\n]*>|\([^)]*\))[ \t\r\n]*\]`)
	catalog    = regexp.MustCompile(`^[ \t\r\n]*<<[^>]{0,512}/Type[ \t\r\n]*/Catalog\b`)
)

// rebuildXref returns data with a new cross-reference table and trailer
// appended, made by scanning the file for "N G obj" (the last definition
// of an object wins, as in an incremental update), after fixLengths. It is
// what viewers do with a file whose xref is missing, broken or points to
// the wrong offsets. It reports false when the scan finds no objects or no
// catalog.
func rebuildXref(data []byte) ([]byte, bool) {
	data = fixLengths(data)
	type entry struct{ num, gen, off, body int } // body: where the object's value starts
	offsets := map[int]entry{}
	for _, m := range objHeader.FindAllSubmatchIndex(data, -1) {
		num, err1 := strconv.Atoi(string(data[m[2]:m[3]]))
		gen, err2 := strconv.Atoi(string(data[m[4]:m[5]]))
		if err1 != nil || err2 != nil || num == 0 {
			continue
		}
		offsets[num] = entry{num, gen, m[2], m[1]}
	}
	if len(offsets) == 0 {
		return nil, false
	}
	last := func(re *regexp.Regexp) []byte {
		all := re.FindAll(data, -1)
		if len(all) == 0 {
			return nil
		}
		return all[len(all)-1]
	}
	root := last(rootRef)
	if root == nil || !refExists(root, offsets) {
		root = nil
		for _, e := range offsets {
			if catalog.Match(data[e.body:min(len(data), e.body+600)]) {
				root = fmt.Appendf(nil, "/Root %d %d R", e.num, e.gen)
				break
			}
		}
	}
	if root == nil {
		return nil, false
	}
	entries := make([]entry, 0, len(offsets))
	for _, e := range offsets {
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b entry) int { return a.num - b.num })

	var b bytes.Buffer
	b.Grow(len(data) + 20*len(entries) + 256)
	b.Write(data)
	b.WriteString("\n")
	xref := b.Len()
	b.WriteString("xref\n0 1\n0000000000 65535 f\r\n")
	for i := 0; i < len(entries); {
		j := i + 1
		for j < len(entries) && entries[j].num == entries[j-1].num+1 {
			j++
		}
		fmt.Fprintf(&b, "%d %d\n", entries[i].num, j-i)
		for _, e := range entries[i:j] {
			fmt.Fprintf(&b, "%010d %05d n\r\n", e.off, e.gen)
		}
		i = j
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d %s", entries[len(entries)-1].num+1, root)
	for _, re := range []*regexp.Regexp{infoRef, encryptRef, idArray} {
		if v := last(re); v != nil && (re == idArray || refExists(v, offsets)) {
			b.WriteString(" ")
			b.Write(v)
		}
	}
	fmt.Fprintf(&b, " >>\nstartxref\n%d\n%%%%EOF\n", xref)
	return b.Bytes(), true
}

// refExists reports whether the reference "/Key N G R" names an object
// the scan found.
func refExists[E any](ref []byte, offsets map[int]E) bool {
	f := bytes.Fields(bytes.TrimLeft(ref, "/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
	if len(f) < 1 {
		return false
	}
	n, err := strconv.Atoi(string(f[0]))
	_, ok := offsets[n]
	return err == nil && ok
}

var directLength = regexp.MustCompile(`/Length[ \t\r\n]+(\d{1,10})\b[ \t\r\n]*(?:[^ \t\r\n\d]|$)`)

// fixLengths returns data with each direct /Length of a stream set to the
// number of bytes between "stream" and "endstream", where it says
// otherwise: producers that write a wrong length make the pdf library cut
// the stream short. One forward scan; offsets change, so it is only used
// before an xref is rebuilt.
func fixLengths(data []byte) []byte {
	var out bytes.Buffer
	copied, pos := 0, 0
	for {
		i := bytes.Index(data[pos:], []byte("stream"))
		if i < 0 {
			break
		}
		kw := pos + i
		pos = kw + len("stream")
		if kw > 0 && data[kw-1] == 'd' { // "endstream"
			continue
		}
		start := pos
		if start < len(data) && data[start] == '\r' {
			start++
		}
		if start < len(data) && data[start] == '\n' {
			start++
		}
		end := bytes.Index(data[start:], []byte("endstream"))
		if end < 0 {
			break
		}
		body := bytes.TrimRight(data[start:start+end], "\r\n")
		pos = start + end
		// The stream's dictionary: from the last "obj" before it.
		from := bytes.LastIndex(data[max(copied, kw-4096):kw], []byte("obj"))
		if from < 0 {
			continue
		}
		from += max(copied, kw-4096)
		m := directLength.FindSubmatchIndex(data[from:kw])
		if m == nil {
			continue
		}
		n, err := strconv.Atoi(string(data[from+m[2] : from+m[3]]))
		if err != nil || n == len(body) {
			continue
		}
		out.Write(data[copied : from+m[2]])
		out.WriteString(strconv.Itoa(len(body)))
		copied = from + m[3]
	}
	if copied == 0 {
		return data
	}
	out.Write(data[copied:])
	return out.Bytes()
}
