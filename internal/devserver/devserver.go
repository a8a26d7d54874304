// Package devserver runs a Temporal server and its Web UI inside the current
// process, for development, demos and tests: persisted to SQLite under a
// state directory, or to Postgres (the persistence production clusters use,
// with schemas set up by the server's own SQL schema tooling).
// Production deployments run a Temporal cluster instead.
package devserver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

const host = "127.0.0.1"

// Options configure the embedded server.
type Options struct {
	// StateDir holds the SQLite database and the server log. Required.
	StateDir string
	// Port is the frontend gRPC port. Default 7233.
	Port int
	// UIPort is the Web UI port; the UI is not started when it is negative. Default 8233.
	UIPort int
	// Namespace is created at start if missing. Default "default".
	Namespace string
	// SearchAttributes are registered on the namespace when it is created
	// on SQLite; on Postgres the caller adds them through the operator API.
	SearchAttributes map[string]enumspb.IndexedValueType
	// PostgresURL, when set, persists the server to Postgres instead of
	// SQLite: to the database the URL names and to a visibility database of
	// the same name with "_visibility" appended, created and brought up to
	// the server's schema version at start.
	PostgresURL string
	// CodecEndpoint, when set, is the codec server the Web UI decodes
	// payloads through (e.g. http://127.0.0.1:8234).
	CodecEndpoint string
}

// Server is a running embedded Temporal server.
type Server struct {
	server   temporal.Server
	ui       *uiserver.Server
	hostPort string
	uiURL    string
}

// HostPort is the frontend address clients dial.
func (s *Server) HostPort() string { return s.hostPort }

// UIURL is the Web UI's address, or "" when the UI is off.
func (s *Server) UIURL() string { return s.uiURL }

// Start starts the server (and the UI) and returns once the frontend accepts
// connections.
func Start(opts Options) (*Server, error) {
	if opts.StateDir == "" {
		return nil, errors.New("devserver: state directory required")
	}
	if opts.Port == 0 {
		opts.Port = 7233
	}
	if opts.UIPort == 0 {
		opts.UIPort = 8233
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if err := os.MkdirAll(opts.StateDir, 0o755); err != nil {
		return nil, fmt.Errorf("devserver: state directory: %w", err)
	}
	ports := []int{opts.Port}
	if opts.UIPort > 0 {
		ports = append(ports, opts.UIPort)
	}
	if err := checkFree(ports...); err != nil {
		return nil, err
	}

	var store *config.SQL
	var visibility *config.SQL
	if opts.PostgresURL != "" {
		var err error
		if store, visibility, err = setupPostgres(opts.PostgresURL); err != nil {
			return nil, err
		}
	} else {
		var err error
		if store, err = setupSQLite(opts); err != nil {
			return nil, err
		}
		visibility = store
	}
	cfg, err := serverConfig(opts, store, visibility)
	if err != nil {
		return nil, err
	}
	logger := log.NewZapLogger(log.BuildZapLogger(log.Config{
		Level:      "warn",
		OutputFile: filepath.Join(opts.StateDir, "temporal-server.log"),
	}))
	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("devserver: authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&cfg.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("devserver: claim mapper: %w", err)
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dynamicconfig.StaticClient{
			dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key():      true,
			dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("devserver: start: %w", err)
	}
	s := &Server{server: srv, hostPort: fmt.Sprintf("%s:%d", host, opts.Port)}
	if opts.PostgresURL != "" {
		if err := registerNamespace(s.hostPort, opts); err != nil {
			_ = srv.Stop()
			return nil, err
		}
	}
	if opts.UIPort > 0 {
		s.ui = uiserver.NewServer(uiserveroptions.WithConfigProvider(&uiconfig.Config{
			Host:                host,
			Port:                opts.UIPort,
			TemporalGRPCAddress: s.hostPort,
			EnableUI:            true,
			DefaultNamespace:    opts.Namespace,
			CORS:                uiconfig.CORS{CookieInsecure: true},
			HideLogs:            true,
			DisableNewsFetch:    true,
			Codec:               uiconfig.Codec{Endpoint: opts.CodecEndpoint},
		}))
		go func() { _ = s.ui.Start() }()
		s.uiURL = fmt.Sprintf("http://%s:%d", host, opts.UIPort)
	}
	return s, nil
}

// Stop stops the UI and the server.
func (s *Server) Stop() {
	if s.ui != nil {
		s.ui.Stop()
	}
	_ = s.server.Stop()
}

// setupSQLite prepares the SQLite database under the state directory, with
// the namespace and its search attributes.
func setupSQLite(opts Options) (*config.SQL, error) {
	dbFile := filepath.Join(opts.StateDir, "temporal.db")
	sqlCfg := &config.SQL{
		PluginName:        sqliteplugin.PluginName,
		DatabaseName:      dbFile,
		ConnectAttributes: map[string]string{"mode": "rwc", "_journal_mode": "wal", "_synchronous": "2"},
	}
	if _, err := os.Stat(dbFile); errors.Is(err, os.ErrNotExist) {
		if err := sqlite.SetupSchema(sqlCfg); err != nil {
			return nil, fmt.Errorf("devserver: schema: %w", err)
		}
	}
	ns, err := sqlite.NewNamespaceConfig("active", opts.Namespace, false, opts.SearchAttributes)
	if err != nil {
		return nil, fmt.Errorf("devserver: namespace: %w", err)
	}
	if err := sqlite.CreateNamespaces(sqlCfg, ns); err != nil {
		return nil, fmt.Errorf("devserver: namespace: %w", err)
	}
	return sqlCfg, nil
}

func serverConfig(opts Options, store, visibility *config.SQL) (*config.Config, error) {
	cfg := &config.Config{}
	cfg.Global.Membership = config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: host}
	cfg.Persistence = config.Persistence{
		DefaultStore:     "default",
		VisibilityStore:  "visibility",
		NumHistoryShards: 1,
		DataStores:       map[string]config.DataStore{"default": {SQL: store}, "visibility": {SQL: visibility}},
	}
	cfg.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10,
		MasterClusterName:        "active",
		CurrentClusterName:       "active",
		ClusterInformation: map[string]cluster.ClusterInformation{
			"active": {Enabled: true, InitialFailoverVersion: 1, RPCAddress: fmt.Sprintf("%s:%d", host, opts.Port)},
		},
	}
	cfg.DCRedirectionPolicy = config.DCRedirectionPolicy{Policy: "noop"}
	ports, err := loadPorts(opts.StateDir)
	if err != nil {
		return nil, err
	}
	cfg.Services = map[string]config.Service{}
	for _, name := range services {
		grpcPort := ports.GRPC[name]
		if name == "frontend" {
			grpcPort = opts.Port
		}
		cfg.Services[name] = config.Service{RPC: config.RPC{GRPCPort: grpcPort, MembershipPort: ports.Membership[name], BindOnIP: host}}
	}
	cfg.Archival.History.State = "disabled"
	cfg.Archival.Visibility.State = "disabled"
	cfg.NamespaceDefaults.Archival.History.State = "disabled"
	cfg.NamespaceDefaults.Archival.Visibility.State = "disabled"
	cfg.PublicClient = config.PublicClient{HostPort: fmt.Sprintf("%s:%d", host, opts.Port)}
	return cfg, nil
}
