package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/branchbot/branchbot/commands/broadcast"
	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/commands/consolelink"
	"github.com/branchbot/branchbot/commands/core"
	"github.com/branchbot/branchbot/commands/followup"
	"github.com/branchbot/branchbot/commands/relay"
	"github.com/branchbot/branchbot/commands/study"
	"github.com/branchbot/branchbot/commands/tickets"
	"github.com/branchbot/branchbot/console"
)

// startConsole serves the web console when console.enabled is set, until
// ctx ends; wait waits for it to stop. An address in use is said in one log
// line and the chats keep serving without the console.
func startConsole(ctx context.Context, app *App) (wait func(), err error) {
	cfg := app.Config.Console
	if !cfg.Enabled {
		return func() {}, nil
	}
	var (
		tk *tickets.Feature
		bc *broadcast.Feature
		ci *checkin.Feature
		rl *relay.Feature
		st *study.Feature
		fu *followup.Feature
		co *core.Feature
		pl *consolelink.Feature
	)
	for _, f := range app.Features {
		switch f := f.(type) {
		case *tickets.Feature:
			tk = f
		case *broadcast.Feature:
			bc = f
		case *checkin.Feature:
			ci = f
		case *relay.Feature:
			rl = f
		case *study.Feature:
			st = f
		case *followup.Feature:
			fu = f
		case *core.Feature:
			co = f
		case *consolelink.Feature:
			pl = f
		}
	}
	srv, err := console.New(console.Options{Engine: app.Engine, Store: app.DB, Tickets: tk, Broadcasts: bc, Checkin: ci,
		Relays: rl, Study: st, Followup: fu, Core: co, PasswordLinks: pl, Log: app.Log,
		SessionTTL: cfg.SessionTTL, BaseURL: cfg.BaseURL})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		app.Log.Warn("console not started: cannot listen on console.listen; the chats keep serving", "listen", cfg.Listen, "err", err)
		return func() {}, nil
	}
	app.Log.Info("console listening", "url", cfg.BaseURL, "listen", ln.Addr().String())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ctx, ln); err != nil {
			app.Log.Error("console stopped", "err", err)
		}
	}()
	return func() { <-done }, nil
}

// runConsolePasswd is `branchbot console passwd <工号>`: it sets the console
// password of a staff member, secretary or admin. The password is read
// twice without echo from a terminal, or as the first line of standard
// input when it is piped.
func runConsolePasswd(ctx context.Context, env *Env, args []string) error {
	fs, cfgPath := flags(env, "console passwd", " <工号>")
	number, err := parseOneArg(fs, args, "console passwd needs the 工号/学号 of a staff member, secretary or admin")
	if err != nil {
		return err
	}
	password, err := readNewPassword(env)
	if err != nil {
		return err
	}
	app, err := Open(ctx, env, *cfgPath)
	if err != nil {
		return err
	}
	defer app.Close()
	entry, err := console.SetPassword(ctx, app.Engine, app.DB, number, password, app.Engine.Now())
	if err != nil {
		return fmt.Errorf("console passwd: %w", err)
	}
	fmt.Fprintf(env.Stdout, "console password set for %s (%s); their earlier sessions are signed out\n", entry.Name, entry.Number)
	return nil
}

func readNewPassword(env *Env) (string, error) {
	if f, ok := env.Stdin.(*os.File); ok && isTerminal(f) {
		fmt.Fprint(env.Stderr, "新密码（至少 8 个字符，可用中文）：")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(env.Stderr, "再输入一次：")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ; nothing changed")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(env.Stdin, console.MaxPasswordBytes+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input")
	}
	return line, nil
}
