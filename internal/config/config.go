// Package config reads the settings the worker and the starter share from the
// environment, with defaults for the local development setup.
package config

// DefaultDatabaseURL is used when DATABASE_URL is not set: the local Postgres.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/dataforge?sslmode=disable"

// Config is the shared configuration.
type Config struct {
	// DatabaseURL is DATABASE_URL; default the local Postgres, database dataforge.
	DatabaseURL string
	// TemporalAddress is TEMPORAL_ADDRESS (host:port); default 127.0.0.1:7233.
	TemporalAddress string
	// Namespace is TEMPORAL_NAMESPACE; default "default".
	Namespace string
	// TaskQueue is DATAFORGE_TASK_QUEUE; default "dataforge".
	TaskQueue string
	// UIURL is DATAFORGE_UI_URL, the Temporal UI links point to; default
	// http://127.0.0.1:8233, the dev server's UI.
	UIURL string
}

// FromEnv reads the configuration through getenv (os.Getenv in mains).
func FromEnv(getenv func(string) string) Config {
	or := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	return Config{
		DatabaseURL:     or("DATABASE_URL", DefaultDatabaseURL),
		TemporalAddress: or("TEMPORAL_ADDRESS", "127.0.0.1:7233"),
		Namespace:       or("TEMPORAL_NAMESPACE", "default"),
		TaskQueue:       or("DATAFORGE_TASK_QUEUE", "dataforge"),
		UIURL:           or("DATAFORGE_UI_URL", "http://127.0.0.1:8233"),
	}
}
