package console

import (
	"net/http"
	"strings"
)

// deskRoutes registers the console's desk pages beyond the first round:
// ticket assignment, broadcast status and log, link codes and approvals,
// and the one-time password links.
func (s *Server) deskRoutes(mux *http.ServeMux) {
	mux.Handle("POST /tickets/{id}/assign", s.signedIn(s.assign))
}

// assign assigns a ticket from its page's form, as /assign does.
func (s *Server) assign(w http.ResponseWriter, r *http.Request) {
	number := strings.TrimSpace(r.PostFormValue("number"))
	s.act(w, r, ticketData{Assign: number}, func(n int64) (string, error) {
		return s.opts.Tickets.DeskAssign(r.Context(), caller(r), n, number)
	})
}
