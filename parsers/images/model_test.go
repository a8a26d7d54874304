package images

import (
	"bytes"
	"image"
	"image/png"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/parsers"
)

func TestForModelScalesDown(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewGray(image.Rect(0, 0, 3000, 1500))))
	p, err := ForModel(Page{MediaType: parsers.MediaPNG, Data: buf.Bytes(), Number: 2}, MaxModelSide, 40e6)
	require.NoError(t, err)
	require.Equal(t, parsers.MediaJPEG, p.MediaType)
	require.Equal(t, [2]int{2048, 1024}, [2]int{p.Width, p.Height})
	require.Equal(t, 2, p.Number)
	cfg, err := jpegConfig(p.Data)
	require.NoError(t, err)
	require.Equal(t, 2048, cfg.Width)

	small := bytes.Buffer{}
	require.NoError(t, png.Encode(&small, image.NewGray(image.Rect(0, 0, 800, 600))))
	p, err = ForModel(Page{MediaType: parsers.MediaPNG, Data: small.Bytes()}, MaxModelSide, 40e6)
	require.NoError(t, err)
	require.Equal(t, [2]int{800, 600}, [2]int{p.Width, p.Height}, "small images keep their size")

	_, err = ForModel(Page{Data: buf.Bytes()}, MaxModelSide, 1000)
	code, _ := parsers.CodeOf(err)
	require.Equal(t, parsers.CodeTooLarge, code, "the pixel limit holds")
}

func jpegConfig(b []byte) (image.Config, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	return cfg, err
}

// TestModelTokens checks the high-detail formula against OpenAI's published
// examples.
func TestModelTokens(t *testing.T) {
	require.Equal(t, 765, ModelTokens(1024, 1024))
	require.Equal(t, 1105, ModelTokens(2048, 4096))
	require.Equal(t, 255, ModelTokens(400, 400), "one tile")
}
