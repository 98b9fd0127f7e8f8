package console

import (
	"fmt"
	"net/http"
	"strings"
)

// deskPageNames are the templates of the desk pages (desk.go).
var deskPageNames = []string{"broadcast", "broadcastlog", "links", "setpassword", "forgot"}

// deskRoutes registers the console's desk pages beyond the first round:
// ticket assignment, broadcast status and log, link codes and approvals,
// and the one-time password links.
func (s *Server) deskRoutes(mux *http.ServeMux) {
	mux.Handle("POST /tickets/{id}/assign", s.signedIn(s.assign))
	if s.opts.Broadcasts != nil {
		mux.Handle("GET /broadcasts/log", s.signedIn(s.broadcastLog))
		mux.Handle("GET /broadcasts/{id}", s.signedIn(s.broadcastStatus))
	}
	mux.HandleFunc("GET /set-password", s.setPasswordForm)
	mux.HandleFunc("POST /set-password", s.setPassword)
	if s.opts.PasswordLinks != nil {
		mux.HandleFunc("GET /password/forgot", s.forgotForm)
		mux.HandleFunc("POST /password/forgot", s.forgot)
	}
	if s.opts.Core != nil {
		mux.Handle("GET /units/{id}/links", s.signedIn(s.links))
		mux.Handle("POST /units/{id}/linkcode", s.signedIn(s.linkCode))
		mux.Handle("POST /units/{id}/links/{req}/approve", s.signedIn(s.approveLink))
		mux.Handle("POST /units/{id}/links/{req}/reject", s.signedIn(s.rejectLink))
	}
}

// assign assigns a ticket from its page's form, as /assign does.
func (s *Server) assign(w http.ResponseWriter, r *http.Request) {
	number := strings.TrimSpace(r.PostFormValue("number"))
	s.act(w, r, ticketData{Assign: number}, func(n int64) (string, error) {
		return s.opts.Tickets.DeskAssign(r.Context(), caller(r), n, number)
	})
}

// broadcastLog lists the broadcasts the signed-in person may see, as
// /broadcast log does.
func (s *Server) broadcastLog(w http.ResponseWriter, r *http.Request) {
	items, err := s.opts.Broadcasts.DeskLog(r.Context(), caller(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "broadcastlog", page{Title: "通知记录", Nav: nav{Active: "log"}, Data: items})
}

// broadcastStatus is one broadcast's delivery per group, read receipts and
// log, as /broadcast status and /broadcast log N give them.
func (s *Server) broadcastStatus(w http.ResponseWriter, r *http.Request) {
	n, err := pathID(r, "通知编号应为数字。")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.opts.Broadcasts.DeskStatus(r.Context(), caller(r), n)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "broadcast", page{Title: fmt.Sprintf("通知 #%d", v.ID), Nav: nav{Active: "log"}, Data: v})
}
