package parsers

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rc4"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const invoiceLine = "BT /F1 12 Tf 72 700 Td (Invoice INV-7 total 12.50) Tj ET"

// A file whose cross-reference table is gone, or points at the wrong
// offsets, is read by rebuilding the table from its "N G obj" headers.
func TestRebuildXref(t *testing.T) {
	good := onePage("%PDF-1.4", invoiceLine, "")
	xref := bytes.LastIndex(good, []byte("xref\n0 "))
	noXref := append(bytes.Clone(good[:xref]), "%%EOF\n"...)
	wrongOffset := bytes.Replace(good, []byte(fmt.Sprintf("startxref\n%d", xref)), []byte("startxref\n12"), 1)
	shifted := append([]byte("%PDF-1.4\n% a comment the offsets do not count\n"), good[len("%PDF-1.4\n"):]...)
	// A /Length that cuts the content stream short, in a file that needs
	// its xref rebuilt anyway.
	shortLength := bytes.Replace(noXref, fmt.Appendf(nil, "/Length %d >>", len(invoiceLine)), []byte("/Length 5 >>"), 1)
	require.NotEqual(t, noXref, shortLength)
	for name, data := range map[string][]byte{"no xref": noXref, "wrong startxref": wrongOffset, "shifted offsets": shifted, "short length": shortLength} {
		t.Run(name, func(t *testing.T) {
			require.Contains(t, pdfText(t, data), "Invoice INV-7 total 12.50")
		})
	}
	_, ok := rebuildXref([]byte("%PDF-1.4\nno objects at all\n%%EOF"))
	require.False(t, ok)
}

// encryptedPage returns onePage's PDF encrypted with RC4 by the standard
// security handler (PDF 32000-1, 7.6.3) for user password pw, with a
// 128-bit key: revision 3 (/V 2), or revision 4 with an RC4 crypt filter
// (/V 4 /CFM /V2).
func encryptedPage(t *testing.T, pw string, r4 bool) []byte {
	pad := []byte("\x28\xBF\x4E\x5E\x4E\x75\x8A\x41\x64\x00\x4E\x56\xFF\xFA\x01\x08\x2E\x2E\x00\xB6\xD0\x68\x3E\x80\x2F\x0C\xA9\xFE\x64\x53\x69\x7A")
	id := []byte("0123456789abcdef")
	owner := bytes.Repeat([]byte{0x42}, 32) // any value: it only feeds the key
	const p = -4
	h := md5.New()
	h.Write(append([]byte(pw), pad[:32-len(pw)]...))
	h.Write(owner)
	h.Write([]byte{byte(p & 0xff), byte(p >> 8 & 0xff), byte(p >> 16 & 0xff), byte(p >> 24 & 0xff)})
	h.Write(id)
	key := h.Sum(nil)
	for range 50 {
		s := md5.Sum(key[:16])
		key = s[:]
	}
	key = key[:16]
	s := md5.Sum(append(bytes.Clone(pad), id...))
	user := s[:]
	for i := range 20 {
		k := bytes.Clone(key)
		for j := range k {
			k[j] ^= byte(i)
		}
		c, _ := rc4.NewCipher(k)
		c.XORKeyStream(user, user)
	}
	user = append(user, make([]byte, 16)...)
	objKey := func(num int) []byte {
		s := md5.Sum(append(bytes.Clone(key), byte(num), byte(num>>8), byte(num>>16), 0, 0))
		return s[:min(len(key)+5, 16)]
	}
	content := []byte(invoiceLine)
	c, err := rc4.NewCipher(objKey(5))
	require.NoError(t, err)
	c.XORKeyStream(content, content)
	enc := fmt.Sprintf("<< /Filter /Standard /V 2 /R 3 /Length 128 /O <%x> /U <%x> /P %d >>", owner, user, p)
	if r4 {
		enc = fmt.Sprintf("<< /Filter /Standard /V 4 /R 4 /Length 128 /CF << /StdCF << /CFM /V2 /AuthEvent /DocOpen /Length 16 >> >> /StmF /StdCF /StrF /StdCF /O <%x> /U <%x> /P %d >>", owner, user, p)
	}
	data := buildPDF("%PDF-1.4",
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		helvetica,
		stream("", string(content)),
		enc,
	)
	return bytes.Replace(data, []byte("/Root 1 0 R >>"), fmt.Appendf(nil, "/Root 1 0 R /Encrypt 6 0 R /ID [<%x> <%x>] >>", id, id), 1)
}

// A file encrypted with an empty user password opens without one, as in
// a viewer; with any other user password it stays encrypted.
func TestEmptyPasswordRC4(t *testing.T) {
	for _, r4 := range []bool{false, true} {
		t.Run(fmt.Sprintf("r4=%v", r4), func(t *testing.T) {
			require.Contains(t, pdfText(t, encryptedPage(t, "", r4)), "Invoice INV-7 total 12.50")
			_, err := Parse(context.Background(), encryptedPage(t, "secret", r4), MediaPDF, Limits{})
			requireCode(t, CodeEncrypted, err)
		})
	}
	require.False(t, strings.Contains(string(encryptedPage(t, "", false)), "Invoice"), "the test file is not encrypted")
}
