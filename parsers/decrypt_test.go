package parsers

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rc4"
	"fmt"
	"strings"
	"testing"

	"github.com/go-pdf/fpdf"
	"github.com/stretchr/testify/require"
)

// Encryption of a test file by the standard security handler (PDF
// 32000-1, 7.6; ISO 32000-2 for revision 6).
const (
	encRC4     = "RC4-128, revision 3"
	encRC4CF   = "RC4-128 crypt filter, revision 4"
	encAES128  = "AES-128, revision 4"
	encAES256  = "AES-256, revision 6"
	testString = "(Invoice INV-7)" // the /Title of the file's /Info, encrypted as a string
)

// encryptedPage returns onePage's PDF with an /Info dictionary, encrypted
// for user password pw by method enc.
func encryptedPage(t testing.TB, pw string, enc string) []byte {
	t.Helper()
	id := []byte("0123456789abcdef")
	const p = -4
	var key []byte
	var dict string
	switch enc {
	case encAES256:
		key = bytes.Repeat([]byte{0x17}, 32)
		vsalt, ksalt := []byte("validate"), []byte("keysalt!")
		u := append(append(hash2B([]byte(pw), vsalt, nil), vsalt...), ksalt...)
		block, err := aes.NewCipher(hash2B([]byte(pw), ksalt, nil))
		require.NoError(t, err)
		ue := make([]byte, 32)
		cipher.NewCBCEncrypter(block, make([]byte, 16)).CryptBlocks(ue, key)
		dict = fmt.Sprintf("<< /Filter /Standard /V 5 /R 6 /Length 256 /CF << /StdCF << /CFM /AESV3 /AuthEvent /DocOpen /Length 32 >> >> /StmF /StdCF /StrF /StdCF /O <%x> /U <%x> /OE <%x> /UE <%x> /Perms <%x> /P %d >>",
			bytes.Repeat([]byte{0x42}, 48), u, bytes.Repeat([]byte{0x43}, 32), ue, bytes.Repeat([]byte{0x44}, 16), p)
	default:
		owner := bytes.Repeat([]byte{0x42}, 32) // any value: it only feeds the key
		h := md5.New()
		h.Write(append([]byte(pw), passwordPad[:32-len(pw)]...))
		h.Write(owner)
		h.Write([]byte{byte(p & 0xff), byte(p >> 8 & 0xff), byte(p >> 16 & 0xff), byte(p >> 24 & 0xff)})
		h.Write(id)
		key = h.Sum(nil)
		for range 50 {
			s := md5.Sum(key[:16])
			key = s[:]
		}
		u := append(userHash(key, 3, id), make([]byte, 16)...)
		cfm := map[string]string{encRC4CF: "V2", encAES128: "AESV2"}[enc]
		dict = fmt.Sprintf("<< /Filter /Standard /V 4 /R 4 /Length 128 /CF << /StdCF << /CFM /%s /AuthEvent /DocOpen /Length 16 >> >> /StmF /StdCF /StrF /StdCF /O <%x> /U <%x> /P %d >>", cfm, owner, u, p)
		if enc == encRC4 {
			dict = fmt.Sprintf("<< /Filter /Standard /V 2 /R 3 /Length 128 /O <%x> /U <%x> /P %d >>", owner, u, p)
		}
	}
	crypt := func(num int, b []byte) []byte {
		k := key
		if enc != encAES256 {
			salt := map[bool]string{true: "sAlT"}[enc == encAES128]
			s := md5.Sum(append(append(bytes.Clone(key), byte(num), byte(num>>8), byte(num>>16), 0, 0), salt...))
			k = s[:]
		}
		if enc == encRC4 || enc == encRC4CF {
			c, _ := rc4.NewCipher(k)
			out := make([]byte, len(b))
			c.XORKeyStream(out, b)
			return out
		}
		block, _ := aes.NewCipher(k)
		pad := 16 - len(b)%16
		plain := append(bytes.Clone(b), bytes.Repeat([]byte{byte(pad)}, pad)...)
		out := append([]byte("an IV of 16 byte"), make([]byte, len(plain))...)
		cipher.NewCBCEncrypter(block, out[:16]).CryptBlocks(out[16:], plain)
		return out
	}
	title := crypt(6, []byte(strings.Trim(testString, "()")))
	data := buildPDF("%PDF-1.4",
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		helvetica,
		stream("", string(crypt(5, []byte(invoiceLine)))),
		fmt.Sprintf("<< /Title <%x> >>", title),
		dict,
	)
	return bytes.Replace(data, []byte("/Root 1 0 R >>"), fmt.Appendf(nil, "/Root 1 0 R /Info 6 0 R /Encrypt 7 0 R /ID [<%x> <%x>] >>", id, id), 1)
}

// fpdfProtected returns a page made by fpdf (as the sample generator
// makes them) protected with user password pw: RC4 with a 40-bit key,
// revision 2.
func fpdfProtected(t testing.TB, pw string) []byte {
	t.Helper()
	d := fpdf.New("P", "mm", "A4", "")
	d.SetProtection(fpdf.CnProtectPrint, pw, "owner-secret")
	d.AddPage()
	d.SetFont("Helvetica", "", 12)
	d.Text(20, 20, "Invoice INV-7 total 12.50")
	var b bytes.Buffer
	require.NoError(t, d.Output(&b))
	return b.Bytes()
}

// A file encrypted with an empty user password opens without one, as in
// a viewer, whatever the cipher: its streams and strings are decrypted. With
// any other user password it stays encrypted.
func TestEmptyPasswordDecryption(t *testing.T) {
	for _, enc := range []string{encRC4, encRC4CF, encAES128, encAES256} {
		t.Run(enc, func(t *testing.T) {
			data := encryptedPage(t, "", enc)
			require.NotContains(t, string(data), "Invoice", "the test file is not encrypted")
			require.Contains(t, pdfText(t, data), "Invoice INV-7 total 12.50")
			clear, ok := decryptEmpty(data)
			require.True(t, ok)
			require.Contains(t, string(clear), testString)
			require.NotContains(t, string(clear), "/Encrypt")
			require.Len(t, clear, len(data), "offsets must not move")

			_, err := Parse(context.Background(), encryptedPage(t, "secret", enc), MediaPDF, Limits{})
			requireCode(t, CodeEncrypted, err)
		})
	}
	t.Run("RC4-40, revision 2 (fpdf)", func(t *testing.T) {
		require.Contains(t, pdfText(t, fpdfProtected(t, "")), "Invoice INV-7 total 12.50")
		_, err := Parse(context.Background(), fpdfProtected(t, "open-sesame"), MediaPDF, Limits{})
		requireCode(t, CodeEncrypted, err)
	})
}

// Decrypted strings are written back in the space their encrypted form
// took, escaped, or empty when the escapes do not fit.
func TestWriteStringFitsItsSpan(t *testing.T) {
	span := []byte("<00112233445566>")
	writeString(span, []byte("a(b\r"))
	require.Equal(t, `(a\(b\r)        `, string(span))
	span = []byte("(xy)")
	writeString(span, []byte(`\)`))
	require.Equal(t, `()  `, string(span))
}

// A hostile encryption dictionary nested without end is read to a bounded
// depth.
func TestParseDictBoundsNesting(t *testing.T) {
	d, _ := parseDict([]byte("<< /Filter /Standard /CF " + strings.Repeat("<< /A ", 100000) + ">>"))
	require.Equal(t, "Standard", d["Filter"])
}
