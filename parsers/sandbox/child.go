package sandbox

import (
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"

	"github.com/dataforge/dataforge/internal/rlimit"
	"github.com/dataforge/dataforge/parsers"
)

// Main turns the process into a parse child when it was started as one by
// Sandbox.Parse, and then never returns; otherwise it returns at once. Every
// binary that parses through a Sandbox calls it first thing in main, and so
// does TestMain of every package whose tests do.
func Main() {
	v, ok := os.LookupEnv(envChild)
	if !ok {
		return
	}
	memory, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		fmt.Fprintf(os.Stderr, "parse child: bad %s=%q\n", envChild, v)
		os.Exit(3)
	}
	if err := child(memory); err != nil {
		fmt.Fprintln(os.Stderr, "parse child:", err)
		os.Exit(3)
	}
	os.Exit(0)
}

// child reads a request on stdin, limits itself, parses and writes the
// response on stdout.
func child(memory int64) error {
	var req request
	if err := gob.NewDecoder(os.Stdin).Decode(&req); err != nil {
		return err
	}
	// The data segment (Go's heap) stops at the ceiling: an allocation
	// beyond it is a fatal "out of memory", which the parent reports as
	// too large. The garbage collector works harder as it nears it. A loop
	// that ignores the deadline is stopped by the kernel (the parent kills
	// the child sooner, unless it is gone). The OCR engine's processes
	// inherit both limits, each for itself, and lower them (see ocr.Engine).
	if err := rlimit.Set(0, memory, cpuLimit(req.Limits)); err != nil {
		return err
	}
	debug.SetMemoryLimit(memory * 3 / 4)
	if req.OCR != nil {
		req.Limits.OCR = req.OCR.Parse
	}
	doc, err := parsers.Parse(context.Background(), req.Data, req.MediaType, req.Limits)
	resp := response{Doc: doc}
	var perr *parsers.Error
	switch {
	case errors.As(err, &perr):
		resp.Code, resp.Detail = perr.Code, perr.Detail
	case err != nil:
		return err
	}
	return gob.NewEncoder(os.Stdout).Encode(resp)
}
