package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// binary builds one of the repository's commands (once per lab) and
// returns its path.
func (l *lab) binary(ctx context.Context, cmd string) (string, error) {
	if bin, ok := l.built[cmd]; ok {
		return bin, nil
	}
	l.progress("building %s", cmd)
	bin := filepath.Join(l.dir, "bin", cmd)
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./"+cmd)
	build.Dir = l.root
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./%s: %v\n%s", cmd, err, out)
	}
	l.built[cmd] = bin
	return bin, nil
}

// env is the environment of the run's child processes: its database, the
// embedded server and its task queue.
func (r *labRun) env() []string {
	return append(cleanEnv(), "DATABASE_URL="+r.DBURL, "TEMPORAL_ADDRESS="+r.lab.srv.HostPort(),
		"TEMPORAL_NAMESPACE="+namespace, "DATAFORGE_TASK_QUEUE="+r.TaskQueue)
}

// child is a process of one of the repository's commands.
type child struct {
	cmd     *exec.Cmd
	log     *os.File
	exited  chan struct{}
	stopped bool
}

// startWorker starts a worker process on the run (OCR off) with vars added
// to its environment, its output in name.log in the lab's directory, and
// waits until it runs.
func (r *labRun) startWorker(ctx context.Context, name string, vars ...string) (*child, error) {
	bin, err := r.lab.binary(ctx, "worker")
	if err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(r.lab.dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-ocr-languages", "none")
	cmd.Env, cmd.Stdout, cmd.Stderr = append(r.env(), vars...), log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	c := &child{cmd: cmd, log: log, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(c.exited) }()
	if err := c.waitLogged(ctx, `msg="worker running"`); err != nil {
		c.stop()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// waitLogged waits until the process's output has s, failing when the
// process exits first or after two minutes.
func (c *child) waitLogged(ctx context.Context, s string) error {
	deadline := time.After(2 * time.Minute)
	for {
		b, err := os.ReadFile(c.log.Name())
		if err != nil || bytes.Contains(b, []byte(s)) {
			return err
		}
		select {
		case <-c.exited:
			return fmt.Errorf("exited: %s", b[max(0, len(b)-2000):])
		case <-deadline:
			return fmt.Errorf("no %s after 2 minutes", s)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop ends the process with SIGTERM, or SIGKILL when it has not exited a
// minute later, and waits for it. Stopping it again does nothing.
func (c *child) stop() {
	if c.stopped {
		return
	}
	c.stopped = true
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(time.Minute):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
	c.log.Close()
}

// cleanEnv is this process's environment without the variables that would
// point the children elsewhere (a real LLM provider, another server).
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "OPENAI_API_KEY" || strings.HasPrefix(k, "TEMPORAL_") || strings.HasPrefix(k, "DATAFORGE_") || k == "DATABASE_URL" {
			continue
		}
		out = append(out, kv)
	}
	return out
}
