// Package redact removes credentials from text bound for a log line or a
// stored error: the chat libraries put whole request URLs in their errors,
// and those carry a Telegram bot token in the path or web-WeChat's session
// (sid, skey, uin, deviceid, synckey, pass_ticket) in the query.
//
// Text removes what can be recognised by its shape on every platform;
// a Redactor also removes the literal secrets of the configuration (tokens,
// API keys), and its Handler wraps a slog.Handler so that no log line
// carries either.
package redact

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
)

// Mask is what a credential is replaced with.
const Mask = "***"

// credentialNames are the names under which a credential travels in a
// query string, a form, a cookie, JSON or XML.
const credentialNames = `sid|wxsid|skey|uin|wxuin|deviceid|synckey|pass_?ticket|webwx_data_ticket|webwx_auth_ticket|` +
	`token|access_token|api_?key|secret|password|passwd`

var (
	// name=value in a URL, a form body or a cookie.
	paramRE = regexp.MustCompile(`(?i)\b(` + credentialNames + `)=([^&\s"'<>;,]+)`)
	// "Name": value in JSON, whether the value is a string, a number or an
	// object one level deep (SyncKey).
	jsonRE = regexp.MustCompile(`(?i)"(` + credentialNames + `)"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+|\{(?:[^{}]|\{[^{}]*\})*\})`)
	// <name>value</name> in XML (web-WeChat's login page).
	xmlRE = regexp.MustCompile(`(?i)<(` + credentialNames + `)>[^<]*</`)
	// A Telegram bot token, in a Bot API path or alone.
	botPathRE = regexp.MustCompile(`(?i)/bot\d{3,}:[A-Za-z0-9_-]{10,}`)
	tokenRE   = regexp.MustCompile(`\b\d{6,}:[A-Za-z0-9_-]{30,}\b`)
	// An Authorization header's credentials.
	bearerRE = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}`)
)

// Text is s with every credential recognisable by its shape masked.
func Text(s string) string {
	if s == "" {
		return s
	}
	s = botPathRE.ReplaceAllString(s, "/bot"+Mask)
	s = tokenRE.ReplaceAllString(s, Mask)
	s = bearerRE.ReplaceAllString(s, "$1 "+Mask)
	s = jsonRE.ReplaceAllString(s, `"$1":"`+Mask+`"`)
	s = xmlRE.ReplaceAllString(s, "<$1>"+Mask+"</")
	s = paramRE.ReplaceAllString(s, "$1="+Mask)
	return s
}

// Redactor masks credentials by shape (Text) and the given literal secrets
// wherever they appear. The zero value and nil mask by shape only.
type Redactor struct {
	secrets *strings.Replacer
}

// New makes a Redactor for the literal secrets (empty and very short ones
// are ignored: they would mask ordinary text).
func New(secrets ...string) *Redactor {
	var pairs []string
	for _, s := range secrets {
		if len(strings.TrimSpace(s)) >= 6 {
			pairs = append(pairs, s, Mask)
		}
	}
	if len(pairs) == 0 {
		return &Redactor{}
	}
	return &Redactor{secrets: strings.NewReplacer(pairs...)}
}

// String is s without credentials.
func (r *Redactor) String(s string) string {
	if r != nil && r.secrets != nil {
		s = r.secrets.Replace(s)
	}
	return Text(s)
}

// Handler wraps next so that the message and every attribute of every
// record (errors, strings, and anything printed) are redacted.
func (r *Redactor) Handler(next slog.Handler) slog.Handler { return &handler{r: r, next: next} }

type handler struct {
	r    *Redactor
	next slog.Handler
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = h.attr(a)
	}
	return &handler{r: h.r, next: h.next.WithAttrs(red)}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{r: h.r, next: h.next.WithGroup(name)}
}

// attr redacts one attribute: strings and whatever is printed as text
// (errors, Stringers, other values); numbers, times and the like pass.
func (h *handler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.r.String(v.String()))
	case slog.KindGroup:
		gs := v.Group()
		red := make([]any, len(gs))
		for i, g := range gs {
			red[i] = h.attr(g)
		}
		return slog.Group(a.Key, red...)
	case slog.KindAny:
		var s string
		switch x := v.Any().(type) {
		case error:
			s = x.Error()
		case fmt.Stringer:
			s = x.String()
		default:
			s = fmt.Sprintf("%+v", x)
		}
		return slog.String(a.Key, h.r.String(s))
	}
	return slog.Attr{Key: a.Key, Value: v}
}
