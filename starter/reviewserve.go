package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dataforge/dataforge/reviewweb"
)

// serveFlags are the flags of review serve.
type serveFlags struct {
	addr     string
	lease    time.Duration
	insecure bool
	header   string
}

func newReviewServeCmd(e *env, p *printer) *cobra.Command {
	var fl serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the review web page (queue, item beside its document, actions)",
		Long: `serve runs the review web page until interrupted. Reviewers sign in with the
accounts of ` + "`starter review users add`" + `; their actions go through the same paths as the
CLI's. It listens on loopback by default; to serve others, put it behind a reverse proxy
that terminates TLS (README.md §Review web page). Sessions are signed with a key drawn at
start, so a restart signs everyone out.`,
		Example: `  starter review serve
  starter review serve --addr 127.0.0.1:9000 --lease 30m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return reviewServe(cmd.Context(), e, p, &fl) },
	}
	fs := cmd.Flags()
	fs.StringVar(&fl.addr, "addr", "127.0.0.1:8090", "the `HOST:PORT` to listen on")
	fs.DurationVar(&fl.lease, "lease", reviewweb.DefaultLease, "how long a claim from the page holds")
	fs.BoolVar(&fl.insecure, "insecure-cookies", false,
		"leave Secure off the session cookie (plain HTTP on a name browsers do not treat as local)")
	fs.StringVar(&fl.header, "user-header", "",
		"trust the reviewer's name in this `HEADER` (e.g. X-Forwarded-User), set by an authenticating reverse proxy that alone can reach the page")
	return cmd
}

func reviewServe(ctx context.Context, e *env, p *printer, fl *serveFlags) error {
	sub, closeAll, err := connect(ctx, e, true)
	if err != nil {
		return err
	}
	defer closeAll()
	srv, err := reviewweb.New(reviewweb.Options{Submitter: sub, Insecure: fl.insecure, Lease: fl.lease, UserHeader: fl.header})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", fl.addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	url := "http://" + ln.Addr().String() + "/"
	if err := p.Print(map[string]string{"url": url}, func() error {
		p.Printf("review page on %s (interrupt to stop)\n", url)
		return nil
	}); err != nil {
		return err
	}
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); !net.ParseIP(host).IsLoopback() {
		fmt.Fprintln(e.stderr, "starter review serve: not on loopback: serve it to others through a reverse proxy with TLS")
	}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = hs.Shutdown(shutdown)
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func newReviewUsersCmd(e *env, p *printer) *cobra.Command {
	users := &cobra.Command{
		Use:   "users",
		Short: "Accounts of the review web page",
	}
	users.AddCommand(&cobra.Command{
		Use:   "add NAME",
		Short: "Create a reviewer account, or set its password (read from the terminal or stdin)",
		Long: `add creates the account NAME for the review web page, or replaces its password
when it exists. The password is asked for twice on a terminal, or read as the first
line of stdin; it is never a flag. Only its bcrypt hash is stored.`,
		Example: `  starter review users add ann
  printf '%s\n' "$PASSWORD" | starter review users add ann`,
		Args: oneArg("name one reviewer"),
		RunE: func(cmd *cobra.Command, args []string) error { return usersAdd(cmd.Context(), e, p, args[0]) },
	})
	return users
}

func usersAdd(ctx context.Context, e *env, p *printer, name string) error {
	if err := reviewweb.CheckName(name); err != nil {
		return usagef("%v", err)
	}
	password, err := readPassword(e)
	if err != nil {
		return err
	}
	hash, err := reviewweb.HashPassword(password)
	if err != nil {
		return err
	}
	sub, closeAll, err := connect(ctx, e, false)
	if err != nil {
		return err
	}
	defer closeAll()
	if err := sub.Store.SetReviewer(ctx, name, hash); err != nil {
		return err
	}
	return p.Print(map[string]string{"reviewer": name}, func() error {
		p.Printf("reviewer %s can sign in\n", name)
		return nil
	})
}

// readPassword asks for a password twice on a terminal, or reads the first
// line of stdin.
func readPassword(e *env) (string, error) {
	if e.stdin == nil {
		return "", errors.New("no password: give it on stdin")
	}
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.stderr, "password: ")
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(e.stderr, "again: ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", err
		}
		if string(first) != string(second) {
			return "", errors.New("the passwords differ")
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
