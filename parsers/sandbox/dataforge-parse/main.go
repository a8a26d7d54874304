// Command dataforge-parse is the parse sandbox's child process: installed
// next to the worker (and the starter), it parses one document per run for
// them, in less time and memory than a re-executed worker. It is not run by
// hand.
package main

import (
	"fmt"
	"os"

	"github.com/dataforge/dataforge/parsers/sandbox"
)

func main() {
	sandbox.Main()
	fmt.Fprintln(os.Stderr, "dataforge-parse: the worker's parse sandbox runs this, not people")
	os.Exit(2)
}
