package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

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

func newTemplatesCmd(e *env, p *printer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "templates",
		Short: "Issuer templates: check",
		Example: `  starter templates check my-templates/
  DATAFORGE_TEMPLATES=my-templates starter templates check`,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "check [DIR|FILE...]",
		Short: "Validate issuer template files (default $DATAFORGE_TEMPLATES)",
		Long: `check loads issuer templates (*.yml, *.yaml, *.json; a directory: the templates in it)
and reports each one's problems with its file and line.`,
		RunE: func(cmd *cobra.Command, args []string) error { return runTemplatesCheck(e, p, args) },
	})
	return cmd
}

func runTemplatesCheck(e *env, p *printer, args []string) error {
	if len(args) == 0 {
		if dir := e.cfg.Templates; dir != "" {
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
	err := p.Print(res, func() error {
		for _, t := range res.Templates {
			p.Printf("ok  %s  %s (%s)\n", t.File, t.Issuer, t.Type)
		}
		for _, msg := range res.Errors {
			fmt.Fprintf(e.stderr, "starter templates check: %s\n", msg)
		}
		if len(res.Templates) == 0 && len(res.Errors) == 0 {
			return errors.New("no template files (*.yml, *.yaml, *.json)")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(res.Errors) > 0 {
		return errReported
	}
	return nil
}
