package sandbox

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/parsers/hostile"
	"github.com/dataforge/dataforge/samples"
)

func TestMain(m *testing.M) {
	Main()
	os.Exit(m.Run())
}

func newSandbox(t testing.TB, o Options) *Sandbox {
	t.Helper()
	s, err := New(o)
	require.NoError(t, err)
	return s
}

// TestHostile: every hostile document gets its typed outcome through the
// sandbox, and the ones that are fine parse.
func TestHostile(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, Options{})
	lim := parsers.DefaultLimits()
	for _, c := range hostile.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			doc, err := s.Parse(context.Background(), c.Data, parsers.DetectMediaType(c.Name, c.Data), lim)
			if c.Want == "" {
				require.NoError(t, err)
				require.NotEmpty(t, strings.TrimSpace(doc.Text))
				return
			}
			var perr *parsers.Error
			require.ErrorAs(t, err, &perr)
			require.Equal(t, parsers.Code(c.Want), perr.Code, "%v", err)
			require.Nil(t, doc)
		})
	}
}

// TestSamples: what parses in-process parses the same in the sandbox.
func TestSamples(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, Options{})
	list, err := samples.Load()
	require.NoError(t, err)
	for _, e := range list {
		data, err := os.ReadFile(filepath.Join(samples.Dir(), e.File))
		require.NoError(t, err)
		mt := parsers.DetectMediaType(e.File, data)
		want, wantErr := parsers.Parse(context.Background(), data, mt, parsers.Limits{})
		got, err := s.Parse(context.Background(), data, mt, parsers.Limits{})
		require.Equal(t, wantErr, err, e.File)
		require.Equal(t, want, got, e.File)
	}
}

// TestHelperBinary: the dataforge-parse helper serves as the child.
func TestHelperBinary(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, Options{Exe: buildHelper(t)})
	doc, err := s.Parse(context.Background(), hostile.PromptInjection(), parsers.MediaText, parsers.Limits{})
	require.NoError(t, err)
	require.Contains(t, doc.Text, "IGNORE ALL PREVIOUS INSTRUCTIONS")
	_, err = s.Parse(context.Background(), hostile.XrefStreamSize(2_000_000_000), parsers.MediaPDF, parsers.Limits{})
	code, _ := parsers.CodeOf(err)
	require.Equal(t, parsers.CodeCorrupt, code, "%v", err)
}

// TestMemoryCeiling: a document whose parse needs more memory than the
// ceiling ends as too_large, and the parent's memory does not grow by it.
func TestMemoryCeiling(t *testing.T) {
	const ceiling = 192 << 20
	s := newSandbox(t, Options{Memory: ceiling, Procs: 1})
	// Under the decompression budget (80 MiB), but millions of one-letter
	// words: the walk needs several times the ceiling.
	data := hostile.BombShows(70 << 20)
	before := peakRSS(t)
	doc, err := s.Parse(context.Background(), data, parsers.MediaPDF, parsers.DefaultLimits())
	require.Nil(t, doc)
	var perr *parsers.Error
	require.ErrorAs(t, err, &perr)
	require.Equal(t, parsers.CodeTooLarge, perr.Code, "%v", err)
	require.Contains(t, perr.Detail, "memory")
	after := peakRSS(t)
	t.Logf("parent VmHWM %d KiB before, %d KiB after", before>>10, after>>10)
	require.Less(t, after-before, int64(ceiling/2), "the parent's peak memory grew")
	noChildren(t)
}

// TestTimeoutLeavesNothing: a parse cut short by its caller's deadline
// kills the child and leaves neither a goroutine nor a process behind; one
// that outruns its own limit reports a timeout.
func TestTimeoutLeavesNothing(t *testing.T) {
	s := newSandbox(t, Options{Procs: 1})
	data := hostile.BombShows(70 << 20)
	goroutines := runtime.NumGoroutine()

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := s.Parse(ctx, data, parsers.MediaPDF, parsers.DefaultLimits())
	require.ErrorIs(t, err, context.DeadlineExceeded)
	_, isParse := parsers.CodeOf(err)
	require.False(t, isParse, "the caller's deadline is not the document's fault")
	noChildren(t)

	lim := parsers.DefaultLimits()
	lim.Timeout = 300 * time.Millisecond
	_, err = s.Parse(context.Background(), data, parsers.MediaPDF, lim)
	code, _ := parsers.CodeOf(err)
	require.Equal(t, parsers.CodeTimeout, code, "%v", err)
	noChildren(t)
	for i := 0; i < 500 && runtime.NumGoroutine() > goroutines; i++ {
		time.Sleep(10 * time.Millisecond) // exec's copying goroutines end just after Wait
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), goroutines, "goroutines left behind")
}

// TestInfrastructureFailures: a child that cannot start is an error to
// retry, not a verdict on the document; one that writes garbage is.
func TestInfrastructureFailures(t *testing.T) {
	t.Parallel()
	data := hostile.OnePage([]byte("BT /F1 10 Tf 50 800 Td (Invoice 1) Tj ET"))
	s := newSandbox(t, Options{})
	s.exe = filepath.Join(t.TempDir(), "missing")
	_, err := s.Parse(context.Background(), data, parsers.MediaPDF, parsers.Limits{})
	require.Error(t, err)
	_, isParse := parsers.CodeOf(err)
	require.False(t, isParse, "%v", err)

	s.exe = "/bin/echo"
	_, err = s.Parse(context.Background(), data, parsers.MediaPDF, parsers.Limits{})
	code, _ := parsers.CodeOf(err)
	require.Equal(t, parsers.CodeCorrupt, code, "%v", err)
}

func TestNewRejectsTinyCeiling(t *testing.T) {
	t.Parallel()
	_, err := New(Options{Memory: 1 << 20})
	require.Error(t, err)
}

// peakRSS is this process's VmHWM in bytes.
func peakRSS(t testing.TB) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

// noChildren fails if this process has a child process (alive or not yet
// waited for). Call it only from tests that are not parallel.
func noChildren(t testing.TB) {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	require.NoError(t, err)
	me := strconv.Itoa(os.Getpid())
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue // gone meanwhile
		}
		require.NoError(t, err)
		// pid (comm) state ppid ...; comm may hold spaces, so split after ')'.
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		require.NotEqual(t, me, fields[1], "child process left behind: %s", s[:strings.IndexByte(s, ')')+1])
	}
}
