package devserver

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	postgresplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	postgresschema "go.temporal.io/server/schema/postgresql/v12"
	"go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
	"google.golang.org/protobuf/types/known/durationpb"
)

// setupPostgres creates the store and visibility databases the URL names
// (when missing) and brings both to the schema version this server module
// ships, with the server's own schema tool — what `temporal-sql-tool
// setup-schema -v 0.0` and `update-schema -d …/versioned` do on a cluster.
func setupPostgres(rawURL string) (store, visibility *config.SQL, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("devserver: postgres URL: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return nil, nil, errors.New("devserver: the postgres URL names no database")
	}
	password, _ := u.User.Password()
	base := config.SQL{
		PluginName:      postgresplugin.PluginNamePGX,
		User:            u.User.Username(),
		Password:        password,
		ConnectAddr:     u.Host,
		ConnectProtocol: "tcp",
		MaxConns:        20,
		MaxIdleConns:    20,
	}
	if mode := u.Query().Get("sslmode"); mode != "" {
		base.ConnectAttributes = map[string]string{"sslmode": mode}
	}
	logger := log.NewNoopLogger()
	for _, db := range []struct{ name, schema, version string }{
		{name, "postgresql/v12/temporal", postgresschema.Version},
		{name + "_visibility", "postgresql/v12/visibility", postgresschema.VisibilityVersion},
	} {
		cfg := base
		cfg.DatabaseName = db.name
		if err := ensureDatabase(rawURL, db.name); err != nil {
			return nil, nil, err
		}
		if err := migrateSchema(&cfg, db.schema, logger); err != nil {
			return nil, nil, fmt.Errorf("devserver: schema of %s (want %s): %w", db.name, db.version, err)
		}
		if db.name == name {
			store = &cfg
		} else {
			visibility = &cfg
		}
	}
	return store, visibility, nil
}

// ensureDatabase creates database name on the server of rawURL if it is
// missing.
func ensureDatabase(rawURL, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u, _ := url.Parse(rawURL)
	u.Path = "/postgres"
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return fmt.Errorf("devserver: postgres unreachable: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("devserver: %w", err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("devserver: create database %s: %w", name, err)
	}
	return nil
}

// migrateSchema sets up the schema version tables of a new database and
// applies every versioned schema change the server module embeds.
func migrateSchema(cfg *config.SQL, schemaName string, logger log.Logger) error {
	conn, err := sqltool.NewConnection(cfg, logger)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ReadSchemaVersion(); err != nil {
		setup := schema.NewSetupSchemaTask(conn, &schema.SetupConfig{InitialVersion: "0.0"}, logger)
		if err := setup.Run(); err != nil {
			return err
		}
	}
	return schema.NewUpdateSchemaTask(conn, &schema.UpdateConfig{DBName: cfg.DatabaseName, SchemaName: schemaName}, logger).Run()
}

// registerNamespace creates the namespace through the frontend; with SQL
// persistence other than SQLite there is no file-level shortcut. Search
// attributes are the caller's to add through the operator API, as on any
// cluster (the worker does: pipeline.EnsureSearchAttributes). It returns once
// the frontend serves the namespace.
func registerNamespace(hostPort string, opts Options) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: hostPort, Logger: quietLogger{}})
	if err != nil {
		return fmt.Errorf("devserver: dial: %w", err)
	}
	defer c.Close()
	_, err = c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: opts.Namespace, WorkflowExecutionRetentionPeriod: durationpb.New(72 * time.Hour),
	})
	var exists *serviceerror.NamespaceAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("devserver: namespace: %w", err)
	}
	// A new namespace reaches the frontend's namespace cache seconds later;
	// until then the operator API (search attributes) says it is not found.
	for {
		_, err = c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: opts.Namespace})
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("devserver: namespace %s not ready: %w", opts.Namespace, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// quietLogger drops the SDK client's log lines during registration.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}
