// Command llmsim runs the OpenAI-compatible LLM simulator on its own: a
// stand-in for the provider, answering from the rule-based extractor, with
// configurable latency and faults. It is not a model.
//
//	go run ./internal/llmsim/cmd/llmsim -addr 127.0.0.1:8089 -faults 'gpt-4o=rate_limit:0.5'
//	OPENAI_BASE_URL=http://127.0.0.1:8089/v1 OPENAI_API_KEY=sim go run ./worker
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/dataforge/dataforge/internal/llmsim"
	"github.com/dataforge/dataforge/internal/llmsim/simrules"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8089", "listen address")
	faults := flag.String("faults", os.Getenv("DATAFORGE_SIM_FAULTS"), "per-model faults, e.g. gpt-4o=unavailable:1,gpt-4o-mini=rate_limit:0.3+malformed_json:0.1")
	fast := flag.Bool("fast", false, "cut latencies to tens of milliseconds")
	flag.Parse()

	models := llmsim.DefaultModels()
	if *fast {
		models = llmsim.FastModels()
	}
	if err := llmsim.ParseFaults(*faults, models); err != nil {
		fmt.Fprintln(os.Stderr, "llmsim:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sim := llmsim.New(llmsim.Options{Models: models, Answer: simrules.Answer})
	if err := sim.Serve(ctx, *addr, func(a net.Addr) {
		fmt.Printf("LLM simulator (not a real provider) at http://%s/v1\n", a)
	}); err != nil {
		fmt.Fprintln(os.Stderr, "llmsim:", err)
		os.Exit(1)
	}
}
