// Package sandbox parses documents in a child process with a memory ceiling
// and a time limit, so that no document can take the parsing process down
// or keep a core busy after its timeout: the child is the current binary
// re-executed in parse mode (see Main), which sets RLIMIT_DATA and
// RLIMIT_CPU on itself and runs parsers.Parse; the parent kills it when the
// time is up. Out of memory, a crash or a timeout of the child are typed
// *parsers.Error results like any other parse failure.
package sandbox

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dataforge/dataforge/parsers"
	"github.com/dataforge/dataforge/parsers/ocr"
)

// envChild, when set (to the memory ceiling in bytes), makes Main run the
// process as a parse child.
const envChild = "DATAFORGE_PARSE_CHILD"

// Defaults of Options.
const (
	DefaultMemory = 1 << 30 // 1 GiB of data segment per child
	minMemory     = 128 << 20
	// grace is how long past Limits.Timeout the parent waits for the
	// child's own timeout report before it kills the child.
	grace = 5 * time.Second
)

// ChildName is the name of the small binary (built from ./dataforge-parse)
// that New prefers as the child when it lies next to the current
// executable: it starts in a fraction of the time and memory of a worker,
// whose package initialisation (the embedded Temporal server) every child
// would otherwise repeat.
const ChildName = "dataforge-parse"

// Options configure a Sandbox.
type Options struct {
	// Exe is the binary to run as the child; it must call Main first
	// thing. Empty means ChildName next to the current executable if it is
	// there, else the current executable itself.
	Exe string
	// Memory is each child's ceiling (RLIMIT_DATA), in bytes; at least
	// 128 MiB. Zero means DefaultMemory.
	Memory int64
	// Procs is how many children may run at once; more parses wait their
	// turn. Zero means the number of CPUs.
	Procs int
	// OCR, when set, reads images and image-only PDFs in the children
	// (parsers.Limits.OCR). Its Tesseract processes are the children's own
	// children: each inherits the child's memory ceiling and lowers it to
	// the engine's Memory, so it is not counted against the child's.
	OCR *ocr.Engine
}

// Sandbox runs parses in child processes.
type Sandbox struct {
	exe    string
	memory int64
	slots  chan struct{}
	ocr    *ocr.Engine
}

// New returns a Sandbox whose children run Options.Exe: by default the
// dataforge-parse helper next to the current binary, else the current binary
// itself, which must then call Main first thing in main (or TestMain).
func New(o Options) (*Sandbox, error) {
	if _, child := os.LookupEnv(envChild); child {
		// Main would have made this process a child and never returned:
		// this binary does not call it, and would re-execute itself forever.
		return nil, errors.New("parse sandbox: this binary does not call sandbox.Main")
	}
	exe := o.Exe
	if exe == "" {
		self, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("parse sandbox: %w", err)
		}
		exe = self
		if helper := filepath.Join(filepath.Dir(self), ChildName); isExecutable(helper) {
			exe = helper
		}
	}
	if o.Memory == 0 {
		o.Memory = DefaultMemory
	}
	if o.Memory < minMemory {
		return nil, fmt.Errorf("parse sandbox: memory ceiling %d bytes is below %d", o.Memory, minMemory)
	}
	if o.Procs <= 0 {
		o.Procs = runtime.NumCPU()
	}
	return &Sandbox{exe: exe, memory: o.Memory, slots: make(chan struct{}, o.Procs), ocr: o.OCR}, nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// request is what the parent sends the child on stdin.
type request struct {
	MediaType string
	Limits    parsers.Limits // without its OCR function, which gob leaves out
	Data      []byte
	OCR       *ocr.Engine // the child's Limits.OCR, when set
}

// response is what the child writes on stdout: a document or a failure.
type response struct {
	Doc    *parsers.Document
	Code   parsers.Code
	Detail string
}

// Parse is parsers.Parse in a child process. Besides the failures of
// parsers.Parse it reports a child that ran out of memory as CodeTooLarge,
// one that outran lim.Timeout (and was killed) as CodeTimeout, and one that
// crashed or wrote garbage as CodeCorrupt. A child that cannot be started,
// or was killed by something other than its limits, is an error of the
// infrastructure, not a *parsers.Error: retry it.
func (s *Sandbox) Parse(ctx context.Context, data []byte, mediaType string, lim parsers.Limits) (*parsers.Document, error) {
	lim = lim.WithDefaults()
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var in bytes.Buffer
	if err := gob.NewEncoder(&in).Encode(request{MediaType: mediaType, Limits: lim, Data: data, OCR: s.ocr}); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithTimeout(ctx, lim.Timeout+grace)
	defer cancel()
	cmd := exec.CommandContext(runCtx, s.exe)
	cmd.Env = append(os.Environ(), envChild+"="+strconv.FormatInt(s.memory, 10))
	cmd.Stdin = &in
	out := &capped{max: 2*int(lim.MaxBytes) + 1<<20}
	stderr := &capped{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = out, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // dies with the worker
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err != nil && !errors.As(err, &exit):
		return nil, fmt.Errorf("parse sandbox: %w", err) // never started: retry
	case ctx.Err() != nil:
		return nil, ctx.Err() // the caller gave up: not the document's fault
	case runCtx.Err() != nil:
		return nil, &parsers.Error{Code: parsers.CodeTimeout, Detail: fmt.Sprintf("killed after %s", lim.Timeout+grace)}
	case exit != nil:
		return nil, s.crash(exit, stderr.String(), lim)
	}
	var r response
	if out.over || gob.NewDecoder(&out.buf).Decode(&r) != nil {
		return nil, &parsers.Error{Code: parsers.CodeCorrupt, Detail: "the parser wrote garbage"}
	}
	if r.Code != "" {
		return nil, &parsers.Error{Code: r.Code, Detail: r.Detail}
	}
	if r.Doc == nil {
		return nil, &parsers.Error{Code: parsers.CodeCorrupt, Detail: "the parser returned nothing"}
	}
	return r.Doc, nil
}

// crash explains a child that exited with an error.
func (s *Sandbox) crash(exit *exec.ExitError, stderr string, lim parsers.Limits) error {
	ws, _ := exit.Sys().(syscall.WaitStatus)
	cpu := exit.UserTime() + exit.SystemTime()
	switch {
	case strings.Contains(stderr, "out of memory") || strings.Contains(stderr, "cannot allocate memory") ||
		// A thread the runtime cannot create under the ceiling: memory too.
		strings.Contains(stderr, "pthread_create failed") || strings.Contains(stderr, "failed to create new OS thread"):
		return &parsers.Error{Code: parsers.CodeTooLarge, Detail: fmt.Sprintf("parsing needs more than %d MiB of memory", s.memory>>20)}
	case ws.Signaled() && (ws.Signal() == syscall.SIGXCPU || ws.Signal() == syscall.SIGKILL) && cpu >= cpuLimit(lim):
		return &parsers.Error{Code: parsers.CodeTimeout, Detail: fmt.Sprintf("%s of CPU time", cpu.Round(time.Second))}
	case ws.Signaled():
		// Not one of its limits: the machine (its OOM killer, an operator)
		// killed the child. The document may be fine; retry.
		return fmt.Errorf("parse sandbox: child killed by %v", ws.Signal())
	}
	first, _, _ := strings.Cut(strings.TrimSpace(stderr), "\n")
	return &parsers.Error{Code: parsers.CodeCorrupt, Detail: "the parser crashed: " + first}
}

// cpuLimit is the child's RLIMIT_CPU: twice its time limit (the garbage
// collector runs beside the parse), rounded up, plus a second. It only
// matters when the parent is not there to kill the child on time.
func cpuLimit(lim parsers.Limits) time.Duration {
	return (2*lim.Timeout + 2*time.Second - 1).Truncate(time.Second)
}

// capped keeps the first max bytes written to it and notes whether more
// came; it never fails a write, so the child is never blocked.
type capped struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); len(p) > room {
		c.over = true
		c.buf.Write(p[:max(room, 0)])
	} else {
		c.buf.Write(p)
	}
	return len(p), nil
}

func (c *capped) String() string { return c.buf.String() }
