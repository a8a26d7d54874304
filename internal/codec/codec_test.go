package codec_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/dataforge/dataforge/internal/codec"
)

func key(id string, b byte) codec.Key { return codec.Key{ID: id, Secret: bytes.Repeat([]byte{b}, 32)} }

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestRoundTrip(t *testing.T) {
	c, err := codec.New(key("k1", 1))
	require.NoError(t, err)
	dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
	p, err := dc.ToPayload(map[string]string{"name": "secret-invoice.pdf"})
	require.NoError(t, err)
	require.Equal(t, codec.Encoding, string(p.Metadata[converter.MetadataEncoding]))
	require.Equal(t, "k1", string(p.Metadata[codec.MetadataKeyID]))
	require.NotContains(t, string(p.Data), "secret-invoice")
	var got map[string]string
	require.NoError(t, dc.FromPayload(p, &got))
	require.Equal(t, "secret-invoice.pdf", got["name"])

	again, err := c.Encode([]*commonpb.Payload{p})
	require.NoError(t, err)
	require.Same(t, p, again[0], "an encrypted payload is not encrypted twice")
	plain := &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte("json/plain")}, Data: []byte(`"x"`)}
	out, err := c.Decode([]*commonpb.Payload{plain})
	require.NoError(t, err)
	require.Same(t, plain, out[0], "payloads of other encodings pass through Decode")
}

func TestRotation(t *testing.T) {
	old, err := codec.New(key("k1", 1))
	require.NoError(t, err)
	enc, err := old.Encode([]*commonpb.Payload{{Data: []byte("before rotation")}})
	require.NoError(t, err)

	rotated, err := codec.New(key("k2", 2), key("k1", 1))
	require.NoError(t, err)
	dec, err := rotated.Decode(enc)
	require.NoError(t, err)
	require.Equal(t, "before rotation", string(dec[0].Data))

	fresh, err := rotated.Encode([]*commonpb.Payload{{Data: []byte("after rotation")}})
	require.NoError(t, err)
	require.Equal(t, "k2", string(fresh[0].Metadata[codec.MetadataKeyID]), "new payloads use the current key")
	_, err = old.Decode(fresh)
	require.ErrorContains(t, err, `key "k2", which is not configured`)
}

func TestUnknownKey(t *testing.T) {
	a, err := codec.New(key("a", 1))
	require.NoError(t, err)
	b, err := codec.New(key("b", 2))
	require.NoError(t, err)
	enc, err := a.Encode([]*commonpb.Payload{{Data: []byte("x")}})
	require.NoError(t, err)
	_, err = b.Decode(enc)
	require.EqualError(t, err, `codec: payload encrypted with key "a", which is not configured (keys: b)`)
}

func TestTamper(t *testing.T) {
	c, err := codec.New(key("k1", 1), key("k0", 9))
	require.NoError(t, err)
	enc, err := c.Encode([]*commonpb.Payload{{Data: []byte("total 100.00")}})
	require.NoError(t, err)

	flipped := &commonpb.Payload{Metadata: enc[0].Metadata, Data: bytes.Clone(enc[0].Data)}
	flipped.Data[len(flipped.Data)-20] ^= 1
	_, err = c.Decode([]*commonpb.Payload{flipped})
	require.ErrorContains(t, err, "fails authentication")

	relabelled := &commonpb.Payload{Metadata: map[string][]byte{
		converter.MetadataEncoding: []byte(codec.Encoding), codec.MetadataKeyID: []byte("k0")}, Data: enc[0].Data}
	_, err = c.Decode([]*commonpb.Payload{relabelled})
	require.ErrorContains(t, err, "fails authentication")

	truncated := &commonpb.Payload{Metadata: enc[0].Metadata, Data: enc[0].Data[:5]}
	_, err = c.Decode([]*commonpb.Payload{truncated})
	require.ErrorContains(t, err, "truncated")
}

// fromEnv loads a codec as the mains do, from the two variables.
func fromEnv(getenv func(string) string) (*codec.Codec, error) {
	return codec.Load(getenv("DATAFORGE_CODEC_KEYS"), getenv("DATAFORGE_CODEC_KEY_FILE"))
}

func TestLoad(t *testing.T) {
	k1 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	k2 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))

	c, err := fromEnv(env(nil))
	require.NoError(t, err)
	require.Nil(t, c, "no keys: no codec")

	c, err = fromEnv(env(map[string]string{"DATAFORGE_CODEC_KEYS": "k2=" + k2 + ",k1=" + k1}))
	require.NoError(t, err)
	enc, err := c.Encode([]*commonpb.Payload{{Data: []byte("x")}})
	require.NoError(t, err)
	require.Equal(t, "k2", string(enc[0].Metadata[codec.MetadataKeyID]), "the first key is current")

	file := filepath.Join(t.TempDir(), "keys")
	require.NoError(t, os.WriteFile(file, []byte("k2="+k2+"\nk1="+k1+"\n"), 0o600))
	fromFile, err := fromEnv(env(map[string]string{"DATAFORGE_CODEC_KEY_FILE": file}))
	require.NoError(t, err)
	dec, err := fromFile.Decode(enc)
	require.NoError(t, err)
	require.Equal(t, "x", string(dec[0].Data))

	for name, e := range map[string]map[string]string{
		"both":      {"DATAFORGE_CODEC_KEYS": "k1=" + k1, "DATAFORGE_CODEC_KEY_FILE": file},
		"short key": {"DATAFORGE_CODEC_KEYS": "k1=" + base64.StdEncoding.EncodeToString([]byte("short"))},
		"no id":     {"DATAFORGE_CODEC_KEYS": k1},
		"twice":     {"DATAFORGE_CODEC_KEYS": "k1=" + k1 + ",k1=" + k2},
		"not b64":   {"DATAFORGE_CODEC_KEYS": "k1=***"},
		"no file":   {"DATAFORGE_CODEC_KEY_FILE": filepath.Join(t.TempDir(), "missing")},
	} {
		_, err := fromEnv(env(e))
		require.Error(t, err, name)
		require.False(t, strings.Contains(err.Error(), k1) || strings.Contains(err.Error(), k2), "%s: no secret in %v", name, err)
	}
}

func TestHandlerRefusesHugeRequests(t *testing.T) {
	c, err := codec.New(key("k1", 1))
	require.NoError(t, err)
	srv := httptest.NewServer(codec.Handler(c, "http://127.0.0.1:8233"))
	defer srv.Close()
	body := `{"payloads":[{"data":"` + strings.Repeat("A", 33<<20) + `"}]}`
	resp, err := http.Post(srv.URL+"/decode", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	resp, err = http.Post(srv.URL+"/decode", "application/json", strings.NewReader(`{"payloads":[{"data":"eA=="}]}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "a small request passes")
}
