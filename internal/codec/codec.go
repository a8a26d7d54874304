// Package codec encrypts the payloads workflows carry (document names,
// text, extracted fields) in Temporal history with AES-256-GCM, so that
// history holds no document data in clear. It is optional: without keys the
// clients use Temporal's default data converter.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"unicode"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

const (
	// Encoding marks an encrypted payload (metadata "encoding").
	Encoding = "binary/encrypted"
	// MetadataKeyID names the metadata entry with the id of the key a
	// payload was encrypted with.
	MetadataKeyID = "encryption-key-id"
)

// Key is one named AES-256 key.
type Key struct {
	ID     string
	Secret []byte
}

// Codec is a converter.PayloadCodec encrypting with the current key and
// decrypting with the key each payload names.
type Codec struct {
	current string
	keys    map[string]cipher.AEAD
	ids     []string
}

// New returns a codec over keys; the first is current, the others only
// decrypt payloads written before a rotation.
func New(keys ...Key) (*Codec, error) {
	if len(keys) == 0 {
		return nil, errors.New("codec: no keys")
	}
	c := &Codec{current: keys[0].ID, keys: make(map[string]cipher.AEAD, len(keys))}
	for _, k := range keys {
		if k.ID == "" {
			return nil, errors.New("codec: a key without id")
		}
		if _, dup := c.keys[k.ID]; dup {
			return nil, fmt.Errorf("codec: key %q given twice", k.ID)
		}
		if len(k.Secret) != 32 {
			return nil, fmt.Errorf("codec: key %q is %d bytes, want 32 (AES-256)", k.ID, len(k.Secret))
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q: %w", k.ID, err)
		}
		c.keys[k.ID] = aead
		c.ids = append(c.ids, k.ID)
	}
	return c, nil
}

// ParseKeys reads "id=base64key" entries separated by commas or white space
// (the format of DATAFORGE_CODEC_KEYS and of DATAFORGE_CODEC_KEY_FILE).
func ParseKeys(s string) ([]Key, error) {
	var keys []Key
	for _, entry := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		id, b64, ok := strings.Cut(entry, "=")
		if !ok || id == "" {
			return nil, errors.New("codec: a key entry is not id=base64key")
		}
		secret, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q is not base64", id)
		}
		keys = append(keys, Key{ID: id, Secret: secret})
	}
	if len(keys) == 0 {
		return nil, errors.New("codec: no keys")
	}
	return keys, nil
}

// Load makes a codec from keys (ParseKeys's form; DATAFORGE_CODEC_KEYS) or
// from the file keyFile names (DATAFORGE_CODEC_KEY_FILE), one of them; it
// returns nil, nil when neither is set.
func Load(inline, file string) (*Codec, error) {
	switch {
	case inline != "" && file != "":
		return nil, errors.New("codec: set DATAFORGE_CODEC_KEYS or DATAFORGE_CODEC_KEY_FILE, not both")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("codec: DATAFORGE_CODEC_KEY_FILE: %w", err)
		}
		inline = string(b)
	case inline == "":
		return nil, nil
	}
	keys, err := ParseKeys(inline)
	if err != nil {
		return nil, err
	}
	return New(keys...)
}

// Encode encrypts each payload with the current key; payloads already
// encrypted are left as they are.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) == Encoding {
			out[i] = p
			continue
		}
		plain, err := proto.Marshal(p)
		if err != nil {
			return payloads, fmt.Errorf("codec: %w", err)
		}
		aead := c.keys[c.current]
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return payloads, fmt.Errorf("codec: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{converter.MetadataEncoding: []byte(Encoding), MetadataKeyID: []byte(c.current)},
			// The key id is authenticated data: a payload relabelled with
			// another key's id fails to decrypt.
			Data: aead.Seal(nonce, nonce, plain, []byte(c.current)),
		}
	}
	return out, nil
}

// Decode decrypts the payloads this codec encrypted, with the key each
// names; other payloads are left as they are.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		id := string(p.Metadata[MetadataKeyID])
		aead, ok := c.keys[id]
		if !ok {
			return payloads, fmt.Errorf("codec: payload encrypted with key %q, which is not configured (keys: %s)", id, strings.Join(c.ids, ", "))
		}
		if len(p.Data) < aead.NonceSize() {
			return payloads, fmt.Errorf("codec: payload encrypted with key %q is truncated", id)
		}
		nonce, sealed := p.Data[:aead.NonceSize()], p.Data[aead.NonceSize():]
		plain, err := aead.Open(nil, nonce, sealed, []byte(id))
		if err != nil {
			return payloads, fmt.Errorf("codec: payload encrypted with key %q fails authentication (altered, or a different key of that id)", id)
		}
		out[i] = &commonpb.Payload{}
		if err := proto.Unmarshal(plain, out[i]); err != nil {
			return payloads, fmt.Errorf("codec: %w", err)
		}
	}
	return out, nil
}

// ClientOptions returns opts with data and failure converters that encrypt
// through c (failure messages and stack traces too); with c nil, opts
// unchanged. The worker and the starter dial through it so both read what
// the other writes.
func ClientOptions(opts client.Options, c *Codec) client.Options {
	if c == nil {
		return opts
	}
	dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
	opts.DataConverter = dc
	opts.FailureConverter = temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter: dc, EncodeCommonAttributes: true,
	})
	return opts
}

// maxRequest bounds a codec request: a few payloads, each at most the
// server's blob size limit.
const maxRequest = 32 << 20

// Handler serves the codec over HTTP (POST …/encode and …/decode, as the
// Temporal UI and CLI call a codec server), answering CORS requests from
// the UI at origin (e.g. http://127.0.0.1:8233). Whoever reaches it can
// decrypt: bind it to a private address.
func Handler(c *Codec, origin string) http.Handler {
	codec := converter.NewPayloadCodecHTTPHandler(c)
	origin = strings.TrimSuffix(origin, "/")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && o == origin {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace")
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Add("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxRequest)
		}
		codec.ServeHTTP(w, r)
	})
}
