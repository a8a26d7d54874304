package devserver

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
)

func start(t *testing.T, dir string, port, uiPort int) *Server {
	t.Helper()
	srv, err := Start(Options{StateDir: dir, Port: port, UIPort: uiPort, Namespace: "dataforge",
		SearchAttributes: map[string]enumspb.IndexedValueType{"DocumentType": enumspb.INDEXED_VALUE_TYPE_KEYWORD}})
	require.NoError(t, err)
	return srv
}

func TestRestartKeepsWorkflowsAndServesUI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	port, err := freePort()
	require.NoError(t, err)
	uiPort, err := freePort()
	require.NoError(t, err)

	srv := start(t, dir, port, uiPort)
	_, err = Start(Options{StateDir: t.TempDir(), Port: port, UIPort: -1})
	require.ErrorContains(t, err, "in use", "a second server on the same port is refused clearly")

	c, err := client.DialContext(ctx, client.Options{HostPort: srv.HostPort(), Namespace: "dataforge"})
	require.NoError(t, err)
	sa, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "dataforge"})
	require.NoError(t, err)
	require.Contains(t, sa.GetCustomAttributes(), "DocumentType")
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "kept", TaskQueue: "nobody"}, "SomeWorkflow")
	require.NoError(t, err)

	resp, err := http.Get(srv.UIURL())
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	c.Close()
	srv.Stop()

	srv = start(t, dir, port, -1)
	defer srv.Stop()
	require.Empty(t, srv.UIURL())
	c, err = client.DialContext(ctx, client.Options{HostPort: srv.HostPort(), Namespace: "dataforge"})
	require.NoError(t, err)
	defer c.Close()
	desc, err := c.DescribeWorkflowExecution(ctx, "kept", "")
	require.NoError(t, err, "the workflow survives a restart")
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.GetWorkflowExecutionInfo().GetStatus())
}
