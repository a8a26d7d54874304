package devserver

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
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
	got, err := freePorts(2)
	require.NoError(t, err)
	port, uiPort := got[0], got[1]

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

// TestPostgresPersistence runs the server on Postgres, as clusters do: the
// schemas are created by the server's own tooling, the namespace is
// registered, search attributes can be added, and a workflow survives a
// restart (which also finds the schemas up to date).
func TestPostgresPersistence(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	base := os.Getenv("DATAFORGE_TEST_DATABASE_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	admin, err := pgx.Connect(ctx, base)
	require.NoError(t, err, "this test needs Postgres at %s (or DATAFORGE_TEST_DATABASE_URL)", base)
	defer admin.Close(ctx)
	name := fmt.Sprintf("dataforge_temporal_test_%d", time.Now().UnixNano())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		for _, db := range []string{name, name + "_visibility"} {
			_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)")
		}
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	u.Path = "/" + name

	got, err := freePorts(1)
	require.NoError(t, err)
	port := got[0]
	opts := Options{StateDir: t.TempDir(), Port: port, UIPort: -1, Namespace: "dataforge", PostgresURL: u.String()}
	srv, err := Start(opts)
	require.NoError(t, err)
	var tables int
	require.NoError(t, admin.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname IN ($1, $2)", name, name+"_visibility").Scan(&tables))
	require.Equal(t, 2, tables, "store and visibility databases are created")

	c, err := client.DialContext(ctx, client.Options{HostPort: srv.HostPort(), Namespace: "dataforge"})
	require.NoError(t, err)
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: "dataforge",
		SearchAttributes: map[string]enumspb.IndexedValueType{"DocumentType": enumspb.INDEXED_VALUE_TYPE_KEYWORD}})
	require.NoError(t, err)
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "kept", TaskQueue: "nobody"}, "SomeWorkflow")
	require.NoError(t, err)
	c.Close()
	srv.Stop()

	srv, err = Start(opts)
	require.NoError(t, err, "a restart finds the schemas and the namespace in place")
	defer srv.Stop()
	c, err = client.DialContext(ctx, client.Options{HostPort: srv.HostPort(), Namespace: "dataforge"})
	require.NoError(t, err)
	defer c.Close()
	desc, err := c.DescribeWorkflowExecution(ctx, "kept", "")
	require.NoError(t, err, "the workflow survives a restart")
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.GetWorkflowExecutionInfo().GetStatus())
	sa, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "dataforge"})
	require.NoError(t, err)
	require.Contains(t, sa.GetCustomAttributes(), "DocumentType")
}

// TestPortsKeptAcrossRestarts: the internal ports are distinct and a second
// start on the same state directory reuses them, so a quick restart finds its
// own membership rows instead of peers that are gone.
func TestPortsKeptAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	first, err := loadPorts(dir)
	require.NoError(t, err)
	seen := map[int]bool{}
	for _, p := range first.all() {
		require.False(t, seen[p], "port %d chosen twice in %v", p, first.all())
		seen[p] = true
		require.Less(t, p, 32768)
	}
	again, err := loadPorts(dir)
	require.NoError(t, err)
	require.Equal(t, first, again)

	l, err := net.Listen("tcp", fmt.Sprintf("%s:%d", host, first.Membership["history"]))
	require.NoError(t, err)
	defer l.Close()
	moved, err := loadPorts(dir)
	require.NoError(t, err)
	require.NotContains(t, moved.all(), first.Membership["history"], "a port taken meanwhile is not reused")
}
