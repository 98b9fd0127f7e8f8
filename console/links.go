package console

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/core"
)

// linksData is a unit's link page: who is not linked, the pending
// requests, and a code just issued (shown once, never stored in clear).
type linksData struct {
	Unit    bot.Unit
	Choices []bot.Unit
	core.LinkDesk
	Code    string // ABCD-EFGH
	CodeFor core.IssuedCode
	Expires string
	// RejectID and Reason: a reject form that failed.
	RejectID int64
	Reason   string
}

func (s *Server) links(w http.ResponseWriter, r *http.Request) {
	s.linksPage(w, r, http.StatusOK, linksData{}, "")
}

func (s *Server) linksPage(w http.ResponseWriter, r *http.Request, status int, d linksData, errText string) {
	id, err := pathID(r, "没有这个单位。")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c := caller(r)
	units := s.opts.Engine.Units()
	d.LinkDesk, err = s.opts.Core.DeskLinks(r.Context(), c, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Unit, _ = units.Get(id)
	d.Choices = secretaryUnits(c, units)
	s.render(w, r, status, "links", page{Title: d.Unit.Name + " 绑定管理", Nav: nav{Active: "unit"}, Data: d, Error: errText, Flash: s.takeFlash(w, r)})
}

// linkCode issues a code for one roster entry, as /linkcode does, and
// shows it on the page (the response is not cached).
func (s *Server) linkCode(w http.ResponseWriter, r *http.Request) {
	ic, err := s.opts.Core.DeskIssueCode(r.Context(), caller(r), r.PostFormValue("number"))
	var ue *bot.UserError
	if errors.As(err, &ue) && !ue.Denied {
		s.linksPage(w, r, http.StatusBadRequest, linksData{}, ue.Text)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := linksData{Code: core.ShowCode(ic.Code), CodeFor: ic, Expires: ic.ExpiresAt.In(s.opts.Engine.Location()).Format("2006-01-02 15:04")}
	s.linksPage(w, r, http.StatusOK, d, "")
}

// decideLink runs one decision on a link request and goes back to the
// unit's link page with its acknowledgement.
func (s *Server) decideLink(w http.ResponseWriter, r *http.Request, d linksData, op func(req int64) (string, error)) {
	unit, err := pathID(r, "没有这个单位。")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req, err := strconv.ParseInt(r.PathValue("req"), 10, 64)
	if err != nil || req <= 0 {
		s.fail(w, r, bot.Errorf("申请编号应是数字。"))
		return
	}
	ack, err := op(req)
	d.RejectID = req
	s.afterForm(w, r, ack, err, fmt.Sprintf("/units/%d/links", unit), func(text string) { s.linksPage(w, r, http.StatusBadRequest, d, text) })
}

func (s *Server) approveLink(w http.ResponseWriter, r *http.Request) {
	s.decideLink(w, r, linksData{}, func(req int64) (string, error) {
		return s.opts.Core.DeskApproveLink(r.Context(), caller(r), req)
	})
}

func (s *Server) rejectLink(w http.ResponseWriter, r *http.Request) {
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	s.decideLink(w, r, linksData{Reason: reason}, func(req int64) (string, error) {
		return s.opts.Core.DeskRejectLink(r.Context(), caller(r), req, reason)
	})
}
