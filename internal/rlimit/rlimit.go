// Package rlimit bounds a process's memory and CPU time with Linux resource
// limits, for the parse sandbox's children and the OCR engine's.
package rlimit

import (
	"time"

	"golang.org/x/sys/unix"
)

// Set limits process pid (0: the calling process) to memory bytes of data
// segment (RLIMIT_DATA: the heap and anonymous mappings; an allocation
// beyond it fails) and to cpu of CPU time (RLIMIT_CPU: SIGXCPU at cpu,
// SIGKILL a second later), rounded up to whole seconds. A limit is never
// raised above the hard limit the process already has, which it may have
// inherited from its parent.
func Set(pid int, memory int64, cpu time.Duration) error {
	secs := uint64((cpu + time.Second - 1) / time.Second)
	if err := lower(pid, unix.RLIMIT_DATA, uint64(memory), uint64(memory)); err != nil {
		return err
	}
	return lower(pid, unix.RLIMIT_CPU, secs, secs+1)
}

func lower(pid, resource int, cur, max uint64) error {
	var old unix.Rlimit
	if err := unix.Prlimit(pid, resource, nil, &old); err != nil {
		return err
	}
	lim := unix.Rlimit{Cur: min(cur, old.Max), Max: min(max, old.Max)}
	return unix.Prlimit(pid, resource, &lim, nil)
}
