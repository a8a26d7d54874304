package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"

	sdkclient "go.temporal.io/sdk/client"

	"github.com/dataforge/dataforge/client"
	"github.com/dataforge/dataforge/internal/codec"
	"github.com/dataforge/dataforge/internal/store"
	"github.com/dataforge/dataforge/parsers"
)

// quietLogger drops the Temporal SDK's logs: the CLI reports errors itself.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}

// connect opens Postgres and, when withTemporal, a Temporal client, and
// returns a Submitter over them with a function that closes both.
func connect(ctx context.Context, e *env, withTemporal bool) (*client.Submitter, func(), error) {
	cfg := e.cfg
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	sub := &client.Submitter{Store: st, TaskQueue: cfg.TaskQueue, Namespace: cfg.Temporal.Namespace, UIURL: cfg.UIURL,
		MaxBytes: parsers.DefaultLimits().MaxBytes}
	if !withTemporal {
		return sub, st.Close, nil
	}
	cdc, err := codec.Load(cfg.CodecKeys, cfg.CodecKeyFile)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	opts := cfg.Temporal
	opts.Logger = quietLogger{}
	c, err := sdkclient.DialContext(ctx, codec.ClientOptions(opts, cdc))
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("temporal %s unreachable (is the worker -dev or a cluster running?): %w", opts.HostPort, err)
	}
	sub.Temporal = c
	return sub, func() { c.Close(); st.Close() }, nil
}

// resolve turns a command-line reference into a document id: a path to a
// file is hashed, anything else is looked up as an id or id prefix.
func resolve(ctx context.Context, st *store.Store, ref string) (string, error) {
	if info, err := os.Stat(ref); err == nil && !info.IsDir() {
		b, err := os.ReadFile(ref)
		if err != nil {
			return "", err
		}
		sum := sha256.Sum256(b)
		return hex.EncodeToString(sum[:]), nil
	}
	return st.ResolveID(ctx, ref)
}
