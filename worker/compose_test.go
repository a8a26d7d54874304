package main

import (
	"os"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"gopkg.in/yaml.v3"

	"github.com/dataforge/dataforge/workflows"
)

// composeFile is the part of docker-compose.yml the checks read.
type composeFile struct {
	Services map[string]struct {
		Image         string         `yaml:"image"`
		Build         any            `yaml:"build"`
		ContainerName string         `yaml:"container_name"`
		Ports         []string       `yaml:"ports"`
		DependsOn     map[string]any `yaml:"depends_on"`
		Healthcheck   map[string]any `yaml:"healthcheck"`
		Command       any            `yaml:"command"`
		Environment   map[string]any `yaml:"environment"`
	} `yaml:"services"`
}

// moduleVersion is the version of a module linked into this test binary,
// without the leading "v": the version go.mod selects.
func moduleVersion(t *testing.T, path string) string {
	t.Helper()
	info, ok := debug.ReadBuildInfo()
	require.True(t, ok, "no build info")
	for _, m := range info.Deps {
		if m.Path == path {
			return strings.TrimPrefix(m.Version, "v")
		}
	}
	t.Fatalf("module %s is not linked in", path)
	return ""
}

// TestComposeFile checks docker-compose.yml, which CI cannot run (no Docker
// engine): supported images at the versions go.mod builds, the schema and
// setup steps in order, health checks, and a worker that scales.
func TestComposeFile(t *testing.T) {
	raw, err := os.ReadFile("../docker-compose.yml")
	require.NoError(t, err)
	require.NotContains(t, string(raw), "auto-setup", "temporalio/auto-setup is deprecated and no longer built")
	var f composeFile
	require.NoError(t, yaml.Unmarshal(raw, &f))

	server := moduleVersion(t, "go.temporal.io/server")
	ui := moduleVersion(t, "github.com/temporalio/ui-server/v2")
	wantImages := map[string]string{
		"temporal-schema": "temporalio/admin-tools:" + server,
		"temporal":        "temporalio/server:" + server,
		"temporal-setup":  "temporalio/admin-tools:" + server,
		"temporal-ui":     "temporalio/ui:" + ui,
	}
	for name, image := range wantImages {
		require.Contains(t, f.Services, name)
		require.Equal(t, image, f.Services[name].Image, "service %s", name)
	}

	dependsOn := func(service, on, condition string) {
		t.Helper()
		dep, ok := f.Services[service].DependsOn[on].(map[string]any)
		require.True(t, ok, "%s must depend on %s with a condition", service, on)
		require.Equal(t, condition, dep["condition"], "%s on %s", service, on)
	}
	dependsOn("temporal-schema", "postgres", "service_healthy")
	dependsOn("temporal", "temporal-schema", "service_completed_successfully")
	dependsOn("temporal-setup", "temporal", "service_healthy")
	dependsOn("temporal-ui", "temporal", "service_healthy")
	dependsOn("worker", "postgres", "service_healthy")
	dependsOn("worker", "temporal-setup", "service_completed_successfully")
	for _, name := range []string{"postgres", "temporal"} {
		require.NotEmpty(t, f.Services[name].Healthcheck["test"], "%s needs a health check", name)
	}

	schema := commandText(t, f.Services["temporal-schema"].Command)
	for _, want := range []string{"postgresql/v12/$$dir/versioned", "setup-schema", "update-schema", "temporal temporal_visibility"} {
		require.Contains(t, schema, want)
	}

	// Every search attribute the workflow upserts is registered with its type.
	setup := commandText(t, f.Services["temporal-setup"].Command)
	for name, typ := range workflows.SearchAttributes {
		kind := map[enumspb.IndexedValueType]string{
			enumspb.INDEXED_VALUE_TYPE_KEYWORD:      "Keyword",
			enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST: "KeywordList",
		}[typ]
		require.NotEmpty(t, kind, "search attribute %s has a type the setup step does not know", name)
		pattern := `(?s)(for a in [^;]*\b` + name + `\b[^;]*;.*--type ` + kind + `\b)|(--name ` + name + ` --type ` + kind + `\b)`
		require.Regexp(t, regexp.MustCompile(pattern), setup, "search attribute %s (%s) is not registered", name, kind)
	}

	w := f.Services["worker"]
	require.NotNil(t, w.Build, "the worker is built from this repository")
	require.Empty(t, w.ContainerName, "a container name stops --scale worker=N")
	require.Empty(t, w.Ports, "a published port stops --scale worker=N")
	require.Equal(t, "temporal:7233", w.Environment["TEMPORAL_ADDRESS"])
}

func commandText(t *testing.T, cmd any) string {
	t.Helper()
	switch c := cmd.(type) {
	case string:
		return c
	case []any:
		var parts []string
		for _, p := range c {
			parts = append(parts, p.(string))
		}
		return strings.Join(parts, " ")
	}
	t.Fatalf("command has an unexpected shape: %T", cmd)
	return ""
}
