// Package console is the staff and secretary web console: a server-rendered
// desk (html/template with htmx, both embedded, no build step) over the
// same database and the same feature operations as the chat commands. A
// ticket answered here reaches the member through the outbox exactly as
// /answer does, and every scope rule is the feature's, not the template's.
//
// Sign-in: a roster entry with a staff, secretary or admin role and a
// password set with `branchbot console passwd <工号>` (argon2id); failed
// sign-ins lock an address and an account for a while; sessions live in the
// database (HttpOnly, SameSite=Lax cookies, Secure over TLS); every
// state-changing request passes http.CrossOriginProtection.
package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/broadcast"
	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/commands/consolelink"
	"github.com/branchbot/branchbot/commands/core"
	"github.com/branchbot/branchbot/commands/followup"
	"github.com/branchbot/branchbot/commands/relay"
	"github.com/branchbot/branchbot/commands/study"
	"github.com/branchbot/branchbot/commands/tickets"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options wire the console to the running bot.
type Options struct {
	Engine  *bot.Engine
	Store   Store
	Tickets *tickets.Feature
	// Broadcasts gives the review pages, Checkin the attendance pages; nil
	// leaves them out.
	Broadcasts *broadcast.Feature
	Checkin    *checkin.Feature
	// Relays, Study and Followup give the relay, study and follow-up pages
	// (figures.go); nil leaves them out.
	Relays   *relay.Feature
	Study    *study.Feature
	Followup *followup.Feature
	// Core gives the link pages (link codes, link approvals); nil leaves
	// them out.
	Core *core.Feature
	// PasswordLinks sends the sign-in page's "forgot password" links; nil
	// leaves that form out (links sent by /console still work).
	PasswordLinks *consolelink.Feature
	Log           *slog.Logger
	// SessionTTL is how long a sign-in lasts (console.session_ttl).
	SessionTTL time.Duration
	// BaseURL is the address people open (console.base_url); an https one
	// makes the cookie Secure even behind a proxy that speaks plain HTTP.
	BaseURL string
}

// Lockout: this many failed sign-ins within lockWindow lock the account,
// or the address, until the window has passed.
const (
	lockWindow        = 15 * time.Minute
	maxFailsAccount   = 5
	maxFailsAddress   = 20
	sessionCookieName = "branchbot_session"
	flashCookieName   = "branchbot_flash"
)

// Server is the console's HTTP handler.
type Server struct {
	opts    Options
	log     *slog.Logger
	pages   map[string]*template.Template
	handler http.Handler
}

// New builds the console.
func New(o Options) (*Server, error) {
	if o.Engine == nil || o.Store == nil || o.Tickets == nil {
		return nil, errors.New("console: engine, store and tickets are required")
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.Log == nil {
		o.Log = o.Engine.Logger()
	}
	s := &Server{opts: o, log: o.Log.With("component", "console")}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler(static)))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)
	mux.Handle("GET /{$}", s.signedIn(s.home))
	mux.Handle("GET /tickets", s.signedIn(s.queue))
	mux.Handle("GET /tickets/rows", s.signedIn(s.queueRows))
	mux.Handle("GET /tickets/{id}", s.signedIn(s.ticket))
	mux.Handle("POST /tickets/{id}/answer", s.signedIn(s.answer))
	mux.Handle("POST /tickets/{id}/close", s.signedIn(s.close))
	mux.Handle("POST /tickets/{id}/reopen", s.signedIn(s.reopen))
	mux.Handle("GET /reports/sla", s.signedIn(s.report))
	mux.Handle("GET /reports/sla.xlsx", s.signedIn(s.reportXLSX))
	mux.Handle("GET /roster/import", s.signedIn(s.rosterForm))
	mux.Handle("POST /roster/import", s.signedIn(s.rosterUpload))
	mux.Handle("GET /units/{id}", s.signedIn(s.unit))
	if o.Checkin != nil {
		mux.Handle("GET /units/{id}/attendance", s.signedIn(s.attendance))
	}
	if err := s.figureRoutes(mux); err != nil {
		return nil, err
	}
	if o.Broadcasts != nil {
		mux.Handle("GET /broadcasts", s.signedIn(s.drafts))
		mux.Handle("POST /broadcasts/{id}/approve", s.signedIn(s.approve))
		mux.Handle("POST /broadcasts/{id}/reject", s.signedIn(s.reject))
	}
	s.deskRoutes(mux)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		s.render(w, r, http.StatusForbidden, "error", page{Title: "请求被拒绝", Error: "跨站请求已被拒绝：请在控制台页面内操作。"})
	}))
	s.handler = securityHeaders(cop.Handler(mux))
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Serve serves the console on ln until ctx ends, then shuts down, letting
// requests in flight finish for a few seconds.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	err := srv.Serve(ln)
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("console: %w", err)
}

// securityHeaders keeps the pages out of frames and stops the browser from
// guessing types; scripts come only from the console itself.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
		h.ServeHTTP(w, r)
	})
}

func staticHandler(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The files are versioned by name (htmx-4.0.1.min.js).
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.opts.Store.Ping(ctx); err != nil {
		s.log.Error("health check failed", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "database unreachable")
		return
	}
	fmt.Fprintln(w, "ok")
}

// secure reports whether cookies of this request get the Secure flag: the
// connection is TLS, or the configured address is https.
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(strings.ToLower(s.opts.BaseURL), "https://")
}
