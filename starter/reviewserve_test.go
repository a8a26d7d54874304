package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/dataforge/dataforge/internal/store/storetest"
)

// TestReviewUsersAdd: the password comes from stdin, only its bcrypt hash
// is stored, and adding again replaces it.
func TestReviewUsersAdd(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, dbURL := storetest.New(t)
	add := func(name, stdin string) (int, string) {
		var stdout, stderr bytes.Buffer
		e := &env{getenv: func(k string) string { return map[string]string{"DATABASE_URL": dbURL}[k] },
			stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr, isTerminal: func() bool { return false }}
		return run(ctx, []string{"review", "users", "add", name}, e), stdout.String() + stderr.String()
	}

	code, out := add("ann", "first password\n")
	require.Equal(t, exitOK, code, out)
	require.Contains(t, out, "reviewer ann can sign in")
	hash, err := st.ReviewerPasswordHash(ctx, "ann")
	require.NoError(t, err)
	require.NoError(t, bcrypt.CompareHashAndPassword(hash, []byte("first password")))
	require.NotContains(t, string(hash), "first password")

	code, out = add("ann", "second password")
	require.Equal(t, exitOK, code, out)
	hash, err = st.ReviewerPasswordHash(ctx, "ann")
	require.NoError(t, err)
	require.NoError(t, bcrypt.CompareHashAndPassword(hash, []byte("second password")), "adding again sets the password")

	code, out = add("bob", "short\n")
	require.Equal(t, exitFailure, code)
	require.Contains(t, out, "at least 10 characters")
	code, out = add("bad name", "long enough password\n")
	require.Equal(t, exitUsage, code)
	require.Contains(t, out, "reviewer name")
	code, _ = add("ann", "")
	require.Equal(t, exitFailure, code, "no password on stdin")
}
