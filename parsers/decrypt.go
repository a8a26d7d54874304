package parsers

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rc4"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"regexp"
	"strconv"
)

// passwordPad pads a password of the standard security handler (PDF
// 32000-1, 7.6.3.3, algorithm 2).
var passwordPad = []byte("\x28\xBF\x4E\x5E\x4E\x75\x8A\x41\x64\x00\x4E\x56\xFF\xFA\x01\x08\x2E\x2E\x00\xB6\xD0\x68\x3E\x80\x2F\x0C\xA9\xFE\x64\x53\x69\x7A")

// Crypt methods of strings and streams.
const (
	cryptNone  = iota
	cryptRC4   // RC4 with a key for each object
	cryptAESV2 // AES-128-CBC with a key for each object
	cryptAESV3 // AES-256-CBC with the file key
)

// security is what decrypting a file needs of its encryption dictionary.
type security struct {
	key             []byte
	stm, str        int // crypt methods of streams and strings
	encryptMetadata bool
}

var (
	xrefType     = regexp.MustCompile(`/Type[ \t\r\n]*/XRef\b`)
	metadataType = regexp.MustCompile(`/Type[ \t\r\n]*/Metadata\b`)
	encryptEntry = regexp.MustCompile(`/Encrypt[ \t\r\n]*(?:(\d{1,9})[ \t\r\n]+(\d{1,5})[ \t\r\n]+R|<<)`)
	streamLength = regexp.MustCompile(`/Length[ \t\r\n]+(\d{1,10})\b[ \t\r\n]*(?:[/>]|$)`)
)

// maxTrailers bounds the /Encrypt entries (one per trailer of an
// incremental update) a file may have.
const maxTrailers = 64

// decryptEmpty returns a copy of data with every string and stream
// decrypted in place, and the trailer's /Encrypt entry blanked, when data
// is encrypted by the standard security handler with an empty user
// password, as viewers open it: RC4 of 40 to 128 bits, AES-128 and AES-256
// (revisions 2 to 6). It reports false for a file it cannot decrypt so
// (no /Encrypt reference, another handler, a user password set).
//
// A decrypted value is never longer than its encrypted form, so it is
// written where that was and padded with white space: every offset in the
// file (its xref tables or streams) stays right. A string whose decrypted
// form cannot fit (RC4 plaintext needing more escapes) is made empty. One
// forward pass over the objects; linear in the size of data.
func decryptEmpty(data []byte) ([]byte, bool) {
	refs := encryptEntry.FindAllSubmatchIndex(data, -1)
	if len(refs) == 0 || len(refs) > maxTrailers {
		return nil, false
	}
	// The spans of the /Encrypt entries (one a trailer), and the
	// dictionary of the last.
	spans := make([][2]int, len(refs))
	var enc map[string]any
	for i, r := range refs {
		spans[i] = [2]int{r[0], r[1]}
		if r[2] < 0 { // a direct dictionary
			d, n := parseDict(data[r[1]-2:])
			spans[i][1] = r[1] - 2 + n
			enc = d
		}
	}
	encNum, encGen := "", ""
	if last := refs[len(refs)-1]; last[2] >= 0 {
		encNum, encGen = string(data[last[2]:last[3]]), string(data[last[4]:last[5]])
		body, ok := objectBody(data, encNum, encGen)
		if !ok {
			return nil, false
		}
		enc, _ = parseDict(body)
	}
	var id []byte
	if ids := idArray.FindAllSubmatch(data, -1); len(ids) > 0 {
		lex := contentLexer{data: ids[len(ids)-1][1]}
		if t, ok := lex.next(); ok && t.kind == tokString {
			id = []byte(t.s)
		}
	}
	sec, ok := securityOf(enc, id)
	if !ok {
		return nil, false
	}
	out := bytes.Clone(data)
	headers := objHeader.FindAllSubmatchIndex(data, -1)
	done := 0 // objects starting before it lie inside a stream already decrypted
	for i, m := range headers {
		if m[0] < done {
			continue
		}
		num, _ := strconv.Atoi(string(data[m[2]:m[3]]))
		gen, _ := strconv.Atoi(string(data[m[4]:m[5]]))
		if string(data[m[2]:m[3]]) == encNum && string(data[m[4]:m[5]]) == encGen {
			continue
		}
		limit := len(data)
		if i+1 < len(headers) {
			limit = headers[i+1][0]
		}
		done = sec.decryptObject(out, data, m[1], limit, num, gen)
	}
	// Blank the /Encrypt entry of every trailer: the file is now in clear.
	for _, r := range spans {
		for j := r[0]; j < r[1]; j++ {
			out[j] = ' '
		}
	}
	return out, true
}

// objectBody returns the bytes after the last "num gen obj" header of data
// up to its "endobj".
func objectBody(data []byte, num, gen string) ([]byte, bool) {
	header := regexp.MustCompile(`(?:^|[\r\n\t >])` + num + `[ \t\r\n]+` + gen + `[ \t\r\n]+obj\b`)
	loc := header.FindAllIndex(data, -1)
	if len(loc) == 0 {
		return nil, false
	}
	start := loc[len(loc)-1][1]
	end := bytes.Index(data[start:], []byte("endobj"))
	if end < 0 {
		return nil, false
	}
	return data[start : start+end], true
}

// parseDict reads the dictionary that starts data ("<<" after white
// space): names, numbers, strings, booleans and nested dictionaries (to
// maxNesting); other values are skipped. It returns the dictionary and
// where it ended.
func parseDict(data []byte) (map[string]any, int) { return parseDictAt(data, 0) }

func parseDictAt(data []byte, depth int) (map[string]any, int) {
	d := map[string]any{}
	l := contentLexer{data: data}
	for l.pos < len(data) && isPDFSpace(data[l.pos]) {
		l.pos++
	}
	if !bytes.HasPrefix(data[l.pos:], []byte("<<")) {
		return d, l.pos
	}
	l.pos += 2
	key := ""
	for l.pos < len(data) {
		c := data[l.pos]
		switch {
		case isPDFSpace(c):
			l.pos++
			continue
		case bytes.HasPrefix(data[l.pos:], []byte(">>")):
			return d, l.pos + 2
		case bytes.HasPrefix(data[l.pos:], []byte("<<")):
			if depth >= maxNesting {
				return d, len(data)
			}
			sub, n := parseDictAt(data[l.pos:], depth+1)
			l.pos += n
			if key != "" {
				d[key], key = sub, ""
			}
			continue
		}
		t, ok := l.next()
		if !ok {
			break
		}
		switch {
		case key == "" && t.kind == tokName:
			key = t.s
		case key == "":
		case t.kind == tokName, t.kind == tokString:
			d[key], key = t.s, ""
		case t.kind == tokNumber:
			d[key], key = t.n, ""
		case t.kind == tokKeyword && (t.s == "true" || t.s == "false"):
			d[key], key = t.s == "true", ""
		default:
			key = ""
		}
	}
	return d, l.pos
}

// securityOf derives the file key of an encryption dictionary for the
// empty user password, which it checks against /U.
func securityOf(enc map[string]any, id []byte) (*security, bool) {
	num := func(k string) int { f, _ := enc[k].(float64); return int(f) }
	str := func(k string) []byte { s, _ := enc[k].(string); return []byte(s) }
	if enc["Filter"] != "Standard" {
		return nil, false
	}
	v, r := num("V"), num("R")
	o, u := str("O"), str("U")
	sec := &security{encryptMetadata: enc["EncryptMetadata"] != false}
	method := func(name string) int {
		if name == "Identity" {
			return cryptNone
		}
		cfs, _ := enc["CF"].(map[string]any)
		cf, _ := cfs[name].(map[string]any)
		switch cf["CFM"] {
		case "V2":
			return cryptRC4
		case "AESV2":
			return cryptAESV2
		case "AESV3":
			return cryptAESV3
		}
		return -1
	}
	switch v {
	case 1, 2:
		sec.stm, sec.str = cryptRC4, cryptRC4
	case 4, 5:
		stmf, _ := enc["StmF"].(string)
		strf, _ := enc["StrF"].(string)
		if stmf == "" {
			stmf = "Identity"
		}
		if strf == "" {
			strf = "Identity"
		}
		sec.stm, sec.str = method(stmf), method(strf)
		if sec.stm < 0 || sec.str < 0 {
			return nil, false
		}
	default:
		return nil, false
	}
	switch {
	case r >= 2 && r <= 4 && len(o) >= 32 && len(u) >= 32:
		n := 5
		if r >= 3 {
			n = num("Length") / 8
			if n == 0 {
				n = 5
			}
		}
		if n < 5 || n > 16 {
			return nil, false
		}
		h := md5.New()
		h.Write(passwordPad)
		h.Write(o[:32])
		p := uint32(int32(num("P")))
		h.Write([]byte{byte(p), byte(p >> 8), byte(p >> 16), byte(p >> 24)})
		h.Write(id)
		if r >= 4 && !sec.encryptMetadata {
			h.Write([]byte{0xff, 0xff, 0xff, 0xff})
		}
		key := h.Sum(nil)
		if r >= 3 {
			for range 50 {
				s := md5.Sum(key[:n])
				key = s[:]
			}
		}
		sec.key = key[:n]
		if !bytes.Equal(userHash(sec.key, r, id)[:16], u[:16]) {
			return nil, false
		}
	case (r == 5 || r == 6) && len(u) >= 48 && len(str("UE")) >= 32:
		hash := func(salt []byte) []byte {
			if r == 5 {
				s := sha256.Sum256(salt)
				return s[:]
			}
			return hash2B(nil, salt, nil)
		}
		if !bytes.Equal(hash(u[32:40]), u[:32]) {
			return nil, false
		}
		block, err := aes.NewCipher(hash(u[40:48]))
		if err != nil {
			return nil, false
		}
		sec.key = make([]byte, 32)
		cipher.NewCBCDecrypter(block, make([]byte, 16)).CryptBlocks(sec.key, str("UE")[:32])
	default:
		return nil, false
	}
	return sec, true
}

// userHash is /U for file key key (algorithms 4 and 5), of which the first
// 16 bytes count.
func userHash(key []byte, r int, id []byte) []byte {
	c, _ := rc4.NewCipher(key)
	if r == 2 {
		out := bytes.Clone(passwordPad)
		c.XORKeyStream(out, out)
		return out
	}
	s := md5.Sum(append(bytes.Clone(passwordPad), id...))
	out := s[:]
	c.XORKeyStream(out, out)
	for i := 1; i <= 19; i++ {
		k := bytes.Clone(key)
		for j := range k {
			k[j] ^= byte(i)
		}
		c, _ := rc4.NewCipher(k)
		c.XORKeyStream(out, out)
	}
	return out
}

// hash2B is the hash of revision 6 (ISO 32000-2, algorithm 2.B) of
// password pw with salt and the extra user key bytes udata.
func hash2B(pw, salt, udata []byte) []byte {
	k0 := sha256.Sum256(bytes.Join([][]byte{pw, salt, udata}, nil))
	k := k0[:]
	for round := 0; ; round++ {
		k1 := bytes.Repeat(bytes.Join([][]byte{pw, k, udata}, nil), 64)
		block, _ := aes.NewCipher(k[:16])
		e := make([]byte, len(k1))
		cipher.NewCBCEncrypter(block, k[16:32]).CryptBlocks(e, k1)
		sum := 0
		for _, b := range e[:16] {
			sum += int(b)
		}
		var h hash.Hash
		switch sum % 3 {
		case 0:
			h = sha256.New()
		case 1:
			h = sha512.New384()
		default:
			h = sha512.New()
		}
		h.Write(e)
		k = h.Sum(nil)
		if round >= 63 && int(e[len(e)-1]) <= round-31 {
			return k[:32]
		}
	}
}

// decryptObject decrypts, in out, the strings and stream of the object
// whose value starts at start in data (and ends before limit, the next
// object's header), and returns where the object ends.
func (s *security) decryptObject(out, data []byte, start, limit, num, gen int) int {
	head, streamAt := objectHead(data, start, limit)
	if xrefType.Match(data[start:head]) {
		return head // cross-reference streams are not encrypted
	}
	for l := (contentLexer{data: data[:head], pos: start}); l.pos < head; {
		c := data[l.pos]
		switch {
		case c == '%':
			for l.pos < head && data[l.pos] != '\n' && data[l.pos] != '\r' {
				l.pos++
			}
		case bytes.HasPrefix(data[l.pos:head], []byte("<<")):
			l.pos += 2
		case c == '(' || c == '<':
			from := l.pos
			var v string
			if c == '(' {
				v = l.literal()
			} else {
				v = l.hex()
			}
			writeString(out[from:l.pos], s.decrypt(s.str, []byte(v), num, gen))
		default:
			l.pos++
		}
	}
	if streamAt < 0 {
		return head
	}
	from, to := streamData(data, start, streamAt)
	if s.encryptMetadata || !metadataType.Match(data[start:head]) {
		plain := s.decrypt(s.stm, data[from:to], num, gen)
		n := copy(out[from:to], plain)
		for i := from + n; i < to; i++ {
			out[i] = ' '
		}
	}
	return to
}

// objectHead returns where the value of the object at start ends (at
// "endobj", at "stream", or at limit) and where its "stream" keyword is,
// or -1.
func objectHead(data []byte, start, limit int) (int, int) {
	l := contentLexer{data: data[:limit], pos: start}
	for l.pos < limit {
		switch c := data[l.pos]; {
		case bytes.HasPrefix(data[l.pos:limit], []byte("<<")):
			l.pos += 2
		case c == '(':
			l.literal()
		case c == '<':
			l.hex()
		case c == '%':
			for l.pos < limit && data[l.pos] != '\n' && data[l.pos] != '\r' {
				l.pos++
			}
		case bytes.HasPrefix(data[l.pos:limit], []byte("endobj")):
			return l.pos, -1
		case bytes.HasPrefix(data[l.pos:limit], []byte("stream")):
			return l.pos, l.pos
		default:
			l.pos++
		}
	}
	return limit, -1
}

// streamData returns the bytes of the stream whose "stream" keyword is at
// kw: its direct /Length when "endstream" follows it, else up to
// "endstream" less the end of line before it.
func streamData(data []byte, start, kw int) (int, int) {
	from := kw + len("stream")
	if bytes.HasPrefix(data[from:], []byte("\r\n")) {
		from += 2
	} else if from < len(data) && (data[from] == '\n' || data[from] == '\r') {
		from++
	}
	if m := streamLength.FindSubmatch(data[start:kw]); m != nil {
		if n, err := strconv.Atoi(string(m[1])); err == nil && from+n <= len(data) {
			rest := bytes.TrimLeft(data[from+n:min(len(data), from+n+64)], " \t\r\n")
			if bytes.HasPrefix(rest, []byte("endstream")) {
				return from, from + n
			}
		}
	}
	end := bytes.Index(data[from:], []byte("endstream"))
	if end < 0 {
		return from, len(data)
	}
	to := from + end
	if to > from && data[to-1] == '\n' {
		to--
	}
	if to > from && data[to-1] == '\r' {
		to--
	}
	return from, to
}

// decrypt returns the clear text of b, a string or stream of object num
// gen encrypted by method m. A value AES cannot decrypt is returned empty.
func (s *security) decrypt(m int, b []byte, num, gen int) []byte {
	key := s.key
	if m == cryptRC4 || m == cryptAESV2 {
		h := md5.New()
		h.Write(s.key)
		h.Write([]byte{byte(num), byte(num >> 8), byte(num >> 16), byte(gen), byte(gen >> 8)})
		if m == cryptAESV2 {
			h.Write([]byte("sAlT"))
		}
		key = h.Sum(nil)[:min(len(s.key)+5, 16)]
	}
	switch m {
	case cryptRC4:
		c, _ := rc4.NewCipher(key)
		out := make([]byte, len(b))
		c.XORKeyStream(out, b)
		return out
	case cryptAESV2, cryptAESV3:
		block, err := aes.NewCipher(key)
		if err != nil || len(b) < 32 || len(b)%16 != 0 {
			return nil
		}
		out := make([]byte, len(b)-16)
		cipher.NewCBCDecrypter(block, b[:16]).CryptBlocks(out, b[16:])
		if pad := int(out[len(out)-1]); pad >= 1 && pad <= 16 {
			out = out[:len(out)-pad]
		}
		return out
	}
	return b
}

// writeString writes v as a literal PDF string into span, padded with
// spaces, or an empty string when its escapes make it too long (a hex
// string is never shorter).
func writeString(span []byte, v []byte) {
	lit := make([]byte, 0, len(v)+2)
	lit = append(lit, '(')
	for _, c := range v {
		switch c {
		case '(', ')', '\\':
			lit = append(lit, '\\', c)
		case '\r':
			lit = append(lit, '\\', 'r')
		default:
			lit = append(lit, c)
		}
	}
	lit = append(lit, ')')
	if len(lit) > len(span) {
		lit = []byte("()")
	}
	n := copy(span, lit)
	for i := n; i < len(span); i++ {
		span[i] = ' '
	}
}
