// Package archcheck holds the test that keeps DataForge's imports in the
// layers of ARCHITECTURE.md's package map. It has no code of its own.
package archcheck
