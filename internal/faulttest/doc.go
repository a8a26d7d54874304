// Package faulttest is DataForge's fault harness: its tests run batches of
// documents through a real Temporal server and a real worker, each in a
// process of its own, on a real Postgres, while they kill the worker, restart
// the server, cut Postgres off and make the LLM fail, and then count what
// became of every document. See the README ("Fault harness").
package faulttest
