package pipeline_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	sdkclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/dataforge/dataforge/activities"
	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/dftype"
	"github.com/dataforge/dataforge/internal/codec"
	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/worker/pipeline"
	"github.com/dataforge/dataforge/worker/pipeline/pipelinetest"
	"github.com/dataforge/dataforge/workflows"
)

// TestCodecKeepsDocumentsOutOfHistory runs a document through a worker and
// a starter that share the payload codec, reads the workflow's history back
// with a client without it and finds the document's name nowhere (payloads,
// summaries, activity results); the codec reads them back, directly and
// over HTTP as the Web UI calls it. Search attributes (the issuer) are
// indexed by the server and stay readable by design.
func TestCodecKeepsDocumentsOutOfHistory(t *testing.T) {
	t.Parallel()
	const (
		name      = "zebra-ledger-4471.txt"
		issuer    = "Tailspin Toys LLC" // what the rules tier reads
		uiOrigin  = "http://127.0.0.1:8233"
		taskQueue = "dataforge-codec"
	)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	env := pipelinetest.Start(t)
	// The worker and the starter each read the keys and dial, as the mains do.
	keys := "k1=" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	dial := func() (sdkclient.Client, *codec.Codec) {
		cdc, err := codec.Load(keys, "")
		require.NoError(t, err)
		c, err := sdkclient.DialContext(ctx, codec.ClientOptions(sdkclient.Options{
			HostPort: env.HostPort, Namespace: env.Namespace}, cdc))
		require.NoError(t, err)
		t.Cleanup(c.Close)
		return c, cdc
	}
	workerClient, cdc := dial()
	c, _ := dial()
	w := pipeline.NewWorker(workerClient, taskQueue, &activities.Activities{
		Store: env.Store, Limits: parsers.DefaultLimits(), ReviewSLA: time.Hour, CacheTTL: time.Hour})
	require.NoError(t, w.Start())
	defer w.Stop()

	// A document that completes, and one whose parse fails (its failure
	// travels through the failure converter).
	dir := t.TempDir()
	var paths []string
	for from, to := range map[string]string{"invoice-plain.txt": name, "invoice-corrupt.pdf": "okapi-scan-2210.pdf"} {
		b, err := os.ReadFile(sample(t, from))
		require.NoError(t, err)
		paths = append(paths, filepath.Join(dir, to))
		require.NoError(t, os.WriteFile(paths[len(paths)-1], b, 0o644))
	}
	sub := &client.Submitter{Store: env.Store, Temporal: c, TaskQueue: taskQueue, MaxBytes: parsers.DefaultLimits().MaxBytes}
	items, err := sub.Submit(ctx, paths, client.Options{})
	require.NoError(t, err)
	require.NoError(t, sub.Wait(ctx, items, nil))

	// The histories as stored, read without the codec.
	var h historypb.History
	var failed int
	for _, it := range items {
		require.NoError(t, it.Err)
		doc, err := env.Store.Document(ctx, it.DocumentID)
		require.NoError(t, err)
		if it.Name == name {
			require.Equal(t, dftype.StatusCompleted, doc.Status, doc.Reason)
		} else {
			require.Equal(t, dftype.StatusReview, doc.Status)
			require.Equal(t, "parse: corrupt", doc.Reason, "the typed parse failure survives its encryption")
		}
		iter := env.Client.GetWorkflowHistory(ctx, workflows.WorkflowID(it.DocumentID), "", false,
			enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		var events []*historypb.HistoryEvent
		for iter.HasNext() {
			e, err := iter.Next()
			require.NoError(t, err)
			events = append(events, e)
		}
		require.NotEmpty(t, events)
		for _, meta := range []map[string]any{nil, {commonpb.EnablePayloadShorthandMetadataKey: true}} {
			js, err := temporalproto.CustomJSONMarshalOptions{Metadata: meta}.Marshal(&historypb.History{Events: events})
			require.NoError(t, err)
			require.NotContains(t, string(js), "zebra-ledger")
			require.NotContains(t, string(js), "okapi-scan")
		}
		for _, e := range events {
			if f := e.GetActivityTaskFailedEventAttributes().GetFailure(); f != nil {
				require.Equal(t, "Encoded failure", f.GetMessage(), "failure messages are encrypted too")
				require.NotNil(t, f.GetEncodedAttributes())
				failed++
			}
		}
		if it.Name == name {
			h.Events = events
		}
	}
	require.Positive(t, failed, "the corrupt document's parse failed in history")
	input := h.Events[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()
	require.NotEmpty(t, input)
	require.Equal(t, codec.Encoding, string(input[0].Metadata[converter.MetadataEncoding]))
	var results []*commonpb.Payload
	for _, e := range h.Events {
		if a := e.GetActivityTaskCompletedEventAttributes(); a != nil {
			results = append(results, a.GetResult().GetPayloads()...)
		}
	}
	require.NotEmpty(t, results, "activities returned results")
	completed := results[len(results)-1]

	// The codec reads them back: the input names the document, the
	// activities' results name it and what was read from it.
	var in workflows.Input
	dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), cdc)
	require.NoError(t, dc.FromPayload(input[0], &in))
	require.Equal(t, name, in.Name)
	plain, err := cdc.Decode(results)
	require.NoError(t, err)
	var all strings.Builder
	for _, p := range plain {
		all.Write(p.Data)
	}
	require.Contains(t, all.String(), name)
	require.Contains(t, all.String(), issuer)

	// Over HTTP, as the Web UI asks: a CORS preflight, then POST /decode.
	srv := httptest.NewServer(codec.Handler(cdc, uiOrigin))
	defer srv.Close()
	pre, err := http.NewRequestWithContext(ctx, http.MethodOptions, srv.URL+"/decode", nil)
	require.NoError(t, err)
	pre.Header.Set("Origin", uiOrigin)
	pre.Header.Set("Access-Control-Request-Method", "POST")
	pre.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace")
	resp, err := http.DefaultClient.Do(pre)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Equal(t, uiOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
	require.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "POST")
	allowed := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
	require.Contains(t, allowed, "content-type")
	require.Contains(t, allowed, "x-namespace")

	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{input[0], completed}})
	require.NoError(t, err)
	decode := func(origin string) (*http.Response, []byte) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/decode", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Namespace", env.Namespace)
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
		return resp, b
	}
	resp, b := decode(uiOrigin)
	require.Equal(t, uiOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
	var decoded commonpb.Payloads
	require.NoError(t, protojson.Unmarshal(b, &decoded))
	require.Len(t, decoded.Payloads, 2)
	require.Equal(t, "json/plain", string(decoded.Payloads[0].Metadata[converter.MetadataEncoding]))
	require.Contains(t, string(decoded.Payloads[0].Data), name)
	for _, p := range decoded.Payloads {
		require.NotEqual(t, codec.Encoding, string(p.Metadata[converter.MetadataEncoding]))
	}

	resp, _ = decode("http://elsewhere.test")
	require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"), "only the UI's origin is allowed")
}
