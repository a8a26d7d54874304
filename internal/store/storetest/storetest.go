// Package storetest gives each test its own freshly migrated Postgres
// database on the server named by DATAFORGE_TEST_DATABASE_URL (default: the
// local server). Tests fail, never skip, when Postgres is not there.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dataforge/dataforge/internal/store"
)

// DefaultURL is the server tests use when DATAFORGE_TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// New creates a database, migrates it, opens a Store on it and drops it when
// the test ends. It returns the store and the database's URL.
func New(t testing.TB) (*store.Store, string) {
	t.Helper()
	base := os.Getenv("DATAFORGE_TEST_DATABASE_URL")
	if base == "" {
		base = DefaultURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("these tests need Postgres at %s (start it, or set DATAFORGE_TEST_DATABASE_URL): %v", store.Redact(base), err)
	}
	defer admin.Close(ctx)

	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "dataforge_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Logf("drop test database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})

	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("test database URL: %v", err)
	}
	u.Path = "/" + name
	dbURL := u.String()
	if _, err := store.Migrate(ctx, dbURL, 0); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(st.Close)
	return st, dbURL
}
