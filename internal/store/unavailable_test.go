package store_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/internal/store/storetest"
)

func TestUnavailable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// A port nobody listens on: connection refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	refused, err := pgxpool.New(ctx, "postgres://postgres@"+addr+"/x?sslmode=disable&connect_timeout=5")
	require.NoError(t, err)
	defer refused.Close()
	err = refused.Ping(ctx)
	require.Error(t, err)
	require.True(t, store.Unavailable(err), "refused: %v", err)

	st, _ := storetest.New(t)
	_, err = st.Pool().Exec(ctx, `SELECT 1/0`)
	require.Error(t, err)
	require.False(t, store.Unavailable(err), "a failing query is no outage: %v", err)
	_, err = st.Document(ctx, "missing")
	require.False(t, store.Unavailable(err), "a missing row is no outage")
	require.False(t, store.Unavailable(nil))

	closed, err := pgxpool.New(ctx, st.Pool().Config().ConnString())
	require.NoError(t, err)
	closed.Close()
	err = closed.Ping(ctx)
	require.Error(t, err)
	require.True(t, store.Unavailable(err), "closed pool: %v", err)
}
