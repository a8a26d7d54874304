// Package migrations holds the Postgres schema as numbered up/down SQL files,
// embedded so the worker and the starter can apply them without a checkout.
package migrations

import "embed"

// FS holds NNN_name.up.sql and NNN_name.down.sql.
//
//go:embed *.sql
var FS embed.FS
