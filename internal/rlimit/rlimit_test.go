package rlimit

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// limits returns the soft and hard limit of a resource in /proc/pid/limits.
func limits(t *testing.T, pid int, name string) (string, string) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/limits")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^` + name + `\s+(\S+)\s+(\S+)`).FindSubmatch(b)
	require.NotNil(t, m, "%s", b)
	return string(m[1]), string(m[2])
}

func TestSet(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("sleep", "30")
	require.NoError(t, cmd.Start())
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	pid := cmd.Process.Pid

	require.NoError(t, Set(pid, 64<<20, 2500*time.Millisecond))
	soft, hard := limits(t, pid, "Max data size")
	require.Equal(t, [2]string{"67108864", "67108864"}, [2]string{soft, hard})
	soft, hard = limits(t, pid, "Max cpu time")
	require.Equal(t, [2]string{"3", "4"}, [2]string{soft, hard})

	// Never raised above what the process has.
	require.NoError(t, Set(pid, 1<<40, time.Hour))
	soft, hard = limits(t, pid, "Max data size")
	require.Equal(t, [2]string{"67108864", "67108864"}, [2]string{soft, hard})
	soft, _ = limits(t, pid, "Max cpu time")
	require.Equal(t, "4", soft)
}
