// Command gen writes the small hostile documents of package hostile to a
// directory (parsers/testdata/hostile by go generate), for tests and as fuzz
// seeds. The big ones (bombs, thousands of pages) are made at test time.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/dataforge/dataforge/parsers/hostile"
)

func main() {
	dir := "testdata/hostile"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := write(dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, c := range hostile.Cases() {
		if c.Big {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, c.Name), c.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
