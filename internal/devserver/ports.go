package devserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
)

// internalPorts are the ports of the services behind the frontend: gRPC of
// history, matching and worker, and the membership (ringpop) port of each of
// the four services.
type internalPorts struct {
	GRPC       map[string]int `json:"grpc"`
	Membership map[string]int `json:"membership"`
}

var services = []string{"frontend", "history", "matching", "worker"}

const portsFile = "ports.json"

// loadPorts returns the internal ports recorded in the state directory when
// they are all free again, else new ones, recorded for the next start. A
// restart that keeps its ports finds its own rows in the cluster membership
// table: with new ports, rows that heartbeated in the last 20 s name peers
// that are gone, and joining them can make the server give up.
func loadPorts(stateDir string) (internalPorts, error) {
	path := filepath.Join(stateDir, portsFile)
	var p internalPorts
	if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &p) == nil && p.complete() {
		if err := checkFree(p.all()...); err == nil {
			return p, nil
		}
	}
	got, err := freePorts(2*len(services) - 1)
	if err != nil {
		return internalPorts{}, err
	}
	p = internalPorts{GRPC: map[string]int{}, Membership: map[string]int{}}
	for _, name := range services {
		if name != "frontend" {
			p.GRPC[name], got = got[0], got[1:]
		}
		p.Membership[name], got = got[0], got[1:]
	}
	b, err := json.Marshal(p)
	if err != nil {
		return internalPorts{}, err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return internalPorts{}, fmt.Errorf("devserver: %w", err)
	}
	return p, nil
}

func (p internalPorts) complete() bool {
	for _, name := range services {
		if p.Membership[name] == 0 || name != "frontend" && p.GRPC[name] == 0 {
			return false
		}
	}
	return true
}

func (p internalPorts) all() []int {
	var all []int
	for _, name := range services {
		if name != "frontend" {
			all = append(all, p.GRPC[name])
		}
		all = append(all, p.Membership[name])
	}
	return all
}

// checkFree reports the first of ports that something listens on.
func checkFree(ports ...int) error {
	for _, port := range ports {
		l, err := net.Listen("tcp", fmt.Sprintf("%s:%d", host, port))
		if err != nil {
			return fmt.Errorf("devserver: port %d is in use (another dev server?): %w", port, err)
		}
		l.Close()
	}
	return nil
}

// freePorts returns n distinct ports that are free now, below 32768: the
// cluster membership table of SQL persistence stores ports as smallint, so a
// port from the kernel's ephemeral range (usually above it) fails the
// server's start. All n are held until all are found, so none repeats.
func freePorts(n int) ([]int, error) {
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for tries := 0; len(ports) < n; tries++ {
		if tries == 100*n {
			return nil, errors.New("devserver: no free port below 32768")
		}
		port := 20000 + rand.IntN(12000)
		l, err := net.Listen("tcp", fmt.Sprintf("%s:%d", host, port))
		if err != nil {
			continue
		}
		held = append(held, l)
		ports = append(ports, port)
	}
	return ports, nil
}
