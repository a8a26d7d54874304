package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/dataforge/dataforge/parsers/templates"
)

// templateCheck is what `templates check` reports.
type templateCheck struct {
	Templates []templateInfo `json:"templates"`
	Errors    []string       `json:"errors,omitempty"`
}

type templateInfo struct {
	Name   string `json:"name"`
	File   string `json:"file"`
	Issuer string `json:"issuer"`
	Type   string `json:"type"`
}

func cmdTemplates(ctx context.Context, args []string, e *env) error {
	if len(args) == 0 || args[0] != "check" {
		return usagef("usage: starter templates check [DIR|FILE...] (default $DATAFORGE_TEMPLATES)")
	}
	fs, output := newFlags("templates check", e)
	args, err := parse(fs, output, args[1:])
	if err != nil {
		return err
	}
	if len(args) == 0 {
		if dir := e.getenv("DATAFORGE_TEMPLATES"); dir != "" {
			args = []string{dir}
		} else {
			return usagef("name a template directory or file, or set DATAFORGE_TEMPLATES")
		}
	}
	var res templateCheck
	for _, path := range args {
		var loaded []*templates.Template
		var err error
		if fi, statErr := os.Stat(path); statErr == nil && fi.IsDir() {
			var set *templates.Set
			set, err = templates.LoadDir(path)
			loaded = set.Templates()
		} else {
			var t *templates.Template
			if t, err = templates.LoadFile(path); t != nil {
				loaded = append(loaded, t)
			}
		}
		for _, t := range loaded {
			res.Templates = append(res.Templates, templateInfo{Name: t.Name, File: t.File, Issuer: t.Issuer, Type: string(t.Type)})
		}
		if err != nil {
			res.Errors = append(res.Errors, strings.Split(err.Error(), "\n")...)
		}
	}
	if *output == "json" {
		err = writeJSON(e.stdout, res)
	} else {
		for _, t := range res.Templates {
			fmt.Fprintf(e.stdout, "ok  %s  %s (%s)\n", t.File, t.Issuer, t.Type)
		}
		for _, msg := range res.Errors {
			fmt.Fprintf(e.stderr, "starter templates check: %s\n", msg)
		}
		if len(res.Templates) == 0 && len(res.Errors) == 0 {
			err = errors.New("no template files (*.yml, *.yaml, *.json)")
		}
	}
	if err != nil {
		return err
	}
	if len(res.Errors) > 0 {
		return errReported
	}
	return nil
}
