package llm

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/llmsim"
)

// TestVisionSendsPageImages: a request with page images sends them as
// image_url parts beside the OCR text; the simulator reads them (with the
// reader its caller gives) and answers from what they say. Without a reader
// it refuses them clearly.
func TestVisionSendsPageImages(t *testing.T) {
	t.Parallel()
	var seen []string
	read := func(img []byte) (string, error) { seen = append(seen, string(img)); return "Invoice No. IMG-7", nil }
	b := setup(t, llmsim.Options{ReadImage: read, Answer: func(_ string, text string) (json.RawMessage, error) {
		require.Equal(t, "Invoice No. IMG-7", text, "the answer comes from the images' text")
		return json.RawMessage(invoiceJSON), nil
	}}, Config{})
	req := invoiceRequest()
	req.Text = "Invo1ce N0. lMG-7" // OCR text alongside
	req.Images = []Image{{MediaType: "image/jpeg", Data: []byte("page-one"), Width: 1024, Height: 1024}}
	resp, err := b.client.Do(context.Background(), req)
	require.NoError(t, err)
	require.NotNil(t, resp.Fields)
	require.Equal(t, []string{"page-one"}, seen)
	require.Equal(t, 1, b.sim.Stats()["gpt-4o"].Images)
	body := string(b.rec.exchanges()[0].body)
	require.Contains(t, body, `"type":"image_url"`)
	require.Contains(t, body, "data:image/jpeg;base64,")
	require.Contains(t, body, "read from them by OCR", "the model is told the text is OCR")

	plain := setup(t, llmsim.Options{}, Config{})
	_, err = plain.client.Do(context.Background(), req)
	require.Equal(t, ErrTypeBadRequest, ErrorClass(err))
	require.Contains(t, err.Error(), "OCR")
}

// TestImagesWithoutText: a scan with no text at all is sent as its images,
// and the model is told the document tags are empty on purpose.
func TestImagesWithoutText(t *testing.T) {
	t.Parallel()
	msgs := messages("gpt-4o", "extract", "invoice", "", []Image{{MediaType: "image/png", Data: []byte("page"), Width: 10, Height: 10}})
	user := msgs[len(msgs)-1]
	require.Len(t, user.MultiContent, 2)
	require.Contains(t, user.MultiContent[0].Text, "scan without text")
	require.NotContains(t, user.MultiContent[0].Text, "by OCR")
}
