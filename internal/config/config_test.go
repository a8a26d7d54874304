package config

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/internal/llm"
	"github.com/dataforge/dataforge/internal/store"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// noProfile keeps the user's own Temporal profile file out of the tests.
func noProfile(t *testing.T, m map[string]string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	if _, ok := m["TEMPORAL_CONFIG_FILE"]; !ok {
		m["TEMPORAL_CONFIG_FILE"] = filepath.Join(t.TempDir(), "none.toml")
	}
	return m
}

func TestDefaults(t *testing.T) {
	cfg, err := Load(env(noProfile(t, nil)))
	require.NoError(t, err)
	require.Equal(t, DefaultDatabaseURL, cfg.DatabaseURL)
	require.Equal(t, DefaultTemporalAddress, cfg.Temporal.HostPort)
	require.Equal(t, DefaultNamespace, cfg.Temporal.Namespace)
	require.False(t, cfg.TemporalNamed)
	require.Equal(t, "dataforge", cfg.TaskQueue)
	require.Equal(t, "gpt-4o", cfg.PrimaryModel)
	require.Equal(t, "gpt-4o-mini", cfg.FallbackModel)
	require.Nil(t, cfg.Temporal.Credentials)
	require.Nil(t, cfg.Temporal.ConnectionOptions.TLS)
	require.NoError(t, cfg.Check())
}

// TestTemporalCloud: an API key and TLS from the environment reach the client
// options, as Temporal Cloud needs; a profile file works the same way.
func TestTemporalCloud(t *testing.T) {
	cfg, err := Load(env(noProfile(t, map[string]string{
		"TEMPORAL_ADDRESS": "ns.acct.tmprl.cloud:7233", "TEMPORAL_NAMESPACE": "ns.acct",
		"TEMPORAL_API_KEY": "secret-key", "TEMPORAL_TLS": "true",
	})))
	require.NoError(t, err)
	require.True(t, cfg.TemporalNamed)
	require.Equal(t, "ns.acct.tmprl.cloud:7233", cfg.Temporal.HostPort)
	require.Equal(t, "ns.acct", cfg.Temporal.Namespace)
	require.NotNil(t, cfg.Temporal.Credentials, "the API key becomes credentials")
	require.NotNil(t, cfg.Temporal.ConnectionOptions.TLS)

	file := filepath.Join(t.TempDir(), "temporal.toml")
	require.NoError(t, os.WriteFile(file, []byte(`
[profile.prod]
address = "prod.example:7233"
namespace = "billing"
api_key = "k"
`), 0o600))
	cfg, err = Load(env(map[string]string{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "prod"}))
	require.NoError(t, err)
	require.Equal(t, "prod.example:7233", cfg.Temporal.HostPort)
	require.Equal(t, "billing", cfg.Temporal.Namespace)
	require.NotNil(t, cfg.Temporal.Credentials)
	require.NotNil(t, cfg.Temporal.ConnectionOptions.TLS, "an API key turns TLS on")

	_, err = Load(env(map[string]string{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "missing"}))
	require.Error(t, err, "a named profile that does not exist is an error")
}

func TestLLM(t *testing.T) {
	cfg, err := Load(env(noProfile(t, map[string]string{
		"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": "http://localhost:11434/v1",
		"OPENAI_TIMEOUT": "90s", "DATAFORGE_PRICES": "gpt-4o=0.005/0.02, llama3.1=0/0",
		"DATAFORGE_FALLBACK_MODEL": "none",
	})))
	require.NoError(t, err)
	require.Equal(t, llm.Config{
		APIKey: "sk-test", BaseURL: "http://localhost:11434/v1", Timeout: 90 * time.Second,
		Prices: map[string]llm.Price{"gpt-4o": {InputPer1K: 0.005, OutputPer1K: 0.02}, "llama3.1": {}},
	}, cfg.LLM)
	require.Empty(t, cfg.FallbackModel, "none leaves the tier out")

	cfg, err = Load(env(noProfile(t, map[string]string{"OPENAI_TIMEOUT": "2.5"})))
	require.NoError(t, err)
	require.Equal(t, 2500*time.Millisecond, cfg.LLM.Timeout)

	for k, v := range map[string]string{"OPENAI_TIMEOUT": "soon", "DATAFORGE_PRICES": "gpt-4o=cheap"} {
		_, err := Load(env(noProfile(t, map[string]string{k: v})))
		require.ErrorContains(t, err, k)
	}
	for _, v := range []string{"0", "-5s"} {
		_, err := Load(env(noProfile(t, map[string]string{"OPENAI_TIMEOUT": v})))
		require.Error(t, err, v)
	}
}

// TestFlagsOverrideEnvironment: a worker flag wins over its variable, and the
// variable is the flag's default.
func TestFlagsOverrideEnvironment(t *testing.T) {
	cfg, err := Load(env(noProfile(t, map[string]string{"DATAFORGE_TEMPLATES": "/env/tpl", "DATAFORGE_SIM_FAULTS": "gpt-4o=unavailable:1"})))
	require.NoError(t, err)
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	cfg.RegisterWorkerFlags(fs)
	require.NoError(t, fs.Parse([]string{"-templates", "/flag/tpl", "-review-sla", "2h", "-persistence", "postgres"}))
	require.Equal(t, "/flag/tpl", cfg.Templates)
	require.Equal(t, 2*time.Hour, cfg.Worker.ReviewSLA)
	require.Equal(t, "gpt-4o=unavailable:1", cfg.Worker.SimFaults)
	require.NoError(t, cfg.Check())

	for _, routing := range []string{"capability", "fixed", "learned"} {
		require.NoError(t, fs.Parse([]string{"-routing", routing}))
		require.NoError(t, cfg.Check(), routing)
	}
	require.NoError(t, fs.Parse([]string{"-routing", "cheapest"}))
	require.ErrorContains(t, cfg.Check(), "want capability, fixed or learned")
	cfg.Routing = "capability"

	require.NoError(t, fs.Parse([]string{"-persistence", "mysql"}))
	require.ErrorContains(t, cfg.Check(), "mysql")
	cfg.Worker.Persistence = "sqlite"
	cfg.CodecKeys, cfg.CodecKeyFile = "k1=x", "/keys"
	require.ErrorContains(t, cfg.Check(), "not both")
}

func TestRateLimits(t *testing.T) {
	cfg, err := Load(env(noProfile(t, nil)))
	require.NoError(t, err)
	require.Equal(t, store.RateLimit{RPM: 500, TPM: 30000}, cfg.RateLimits["gpt-4o"], "OpenAI tier 1 by default")
	cfg, err = Load(env(noProfile(t, map[string]string{"DATAFORGE_RATE_LIMITS": "llama=0/5000, gpt-4o=60/1000"})))
	require.NoError(t, err)
	require.Equal(t, map[string]store.RateLimit{"llama": {TPM: 5000}, "gpt-4o": {RPM: 60, TPM: 1000}}, cfg.RateLimits)
	cfg, err = Load(env(noProfile(t, map[string]string{"DATAFORGE_RATE_LIMITS": "none"})))
	require.NoError(t, err)
	require.Empty(t, cfg.RateLimits)
	for _, bad := range []string{"gpt-4o=500", "gpt-4o=a/b", "=1/2", "gpt-4o=-1/5"} {
		_, err := Load(env(noProfile(t, map[string]string{"DATAFORGE_RATE_LIMITS": bad})))
		require.ErrorContains(t, err, "DATAFORGE_RATE_LIMITS", bad)
	}
}
