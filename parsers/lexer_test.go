package parsers

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// An inline image, whose data may hold any byte (here ASCII85 with "~>"
// and a stray "EI" inside a word), does not stop the text after it.
func TestInlineImageSkipped(t *testing.T) {
	content := "BT /F1 10 Tf 50 800 Td (Before) Tj ET\n" +
		"BI /W 4 /H 1 /BPC 8 /CS /G /F /A85 ID\n9jqo^BlbD-BLEIB>)]((~>\nEI\n" +
		"BT /F1 10 Tf 50 780 Td (After) Tj ET"
	require.Equal(t, "Before\nAfter", pdfText(t, onePage("%PDF-1.4", content, "")))
}

// Text before an unterminated hex string, and the text a stream holds
// before its data goes bad (a wrong checksum), are read.
func TestDamagedContentKeepsText(t *testing.T) {
	require.Equal(t, "Hello", pdfText(t, onePage("%PDF-1.4", "BT /F1 10 Tf 50 800 Td (Hello) Tj ET <4142", "")))

	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	fmt.Fprint(w, "BT /F1 10 Tf 50 800 Td (Invoice 42) Tj ET")
	require.NoError(t, w.Close())
	bad := z.Bytes()
	bad[len(bad)-1] ^= 0xFF // the Adler-32 checksum
	data := buildPDF("%PDF-1.4",
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		helvetica,
		fmt.Sprintf("<< /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream", len(bad), bad),
	)
	require.Equal(t, "Invoice 42", pdfText(t, data))
}

func TestLexerOperands(t *testing.T) {
	var ops []string
	var got [][]pdfToken
	interpret([]byte(`/Span <</ActualText (x) /D <</E 1>> >> BDC [(A) -250 <42 43> [1]] TJ 1 -2.5 .5 +3 Td /F1 9 Tf`), func(op string, args []pdfToken) {
		ops = append(ops, op)
		got = append(got, append([]pdfToken(nil), args...))
	})
	require.Equal(t, []string{"BDC", "TJ", "Td", "Tf"}, ops)
	require.Equal(t, tokDict, got[0][1].kind)
	tj := got[1][0]
	require.Equal(t, tokArray, tj.kind)
	require.Equal(t, "A", tj.arr[0].s)
	require.Equal(t, -250.0, tj.arr[1].n)
	require.Equal(t, "BC", tj.arr[2].s)
	require.Equal(t, []float64{1, -2.5, 0.5, 3}, []float64{got[2][0].n, got[2][1].n, got[2][2].n, got[2][3].n})
	require.Equal(t, pdfToken{kind: tokName, s: "F1"}, got[3][0])
}

// A parse that times out stops its work: the goroutine reading the PDF
// ends soon after, it does not spin on.
func TestTimeoutLeavesNoGoroutine(t *testing.T) {
	slow := slowPDF(t)
	_, err := Parse(context.Background(), slow, MediaPDF, Limits{Timeout: 20 * time.Millisecond})
	requireCode(t, CodeTimeout, err)
	reading := func() string {
		buf := make([]byte, 1<<20)
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if strings.Contains(g, "parsers.readPDF") {
				return g
			}
		}
		return ""
	}
	require.Eventually(t, func() bool { return reading() == "" }, 30*time.Second, 10*time.Millisecond,
		"the parse goroutine is still running after the timeout:\n%s", reading())
}
