package console

import (
	"errors"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/consolelink"
)

// setPasswordData is the page a password link opens.
type setPasswordData struct {
	Token string
	Who   string // 刘芳（T0003）
}

// forgotSent is what the forgot form answers whatever the 工号: whether it
// names anyone is not said.
const forgotSent = "如果这个工号可以登录控制台，并且本人与机器人有私聊，设置密码的链接已发到其私聊（30 分钟内有效，只能使用一次）。没有收到时，请先在与机器人的私聊中发送 /console，或请管理员设置密码。"

func (s *Server) forgotForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "forgot", page{Title: "设置或找回密码"})
}

// forgot sends a password link to the 工号's private chat, if it names
// someone who may sign in and has one; the answer is the same either way.
func (s *Server) forgot(w http.ResponseWriter, r *http.Request) {
	if err := s.opts.PasswordLinks.SendForgotten(r.Context(), r.PostFormValue("number")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, r, forgotSent)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// passwordLink reads the link's token and whom it is for; a link unknown,
// used or expired is answered here.
func (s *Server) passwordLink(w http.ResponseWriter, r *http.Request, token string) (bot.Caller, bool) {
	id, err := s.opts.Store.PasswordLink(r.Context(), consolelink.TokenHash(token), s.opts.Engine.Now())
	var c bot.Caller
	if err == nil {
		c, err = s.opts.Engine.CallerOfRoster(r.Context(), id)
	}
	if err == nil && mayUseConsole(c) {
		return c, true
	}
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		s.fail(w, r, err)
		return c, false
	}
	s.render(w, r, http.StatusGone, "error", page{Title: "链接无效", Error: "这个链接无效、已过期或已经用过。请在与机器人的私聊中重新发送 /console 获取新链接。"})
	return c, false
}

func (s *Server) setPasswordForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	c, ok := s.passwordLink(w, r, token)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "setpassword", page{Title: "设置控制台密码", Data: setPasswordData{Token: token, Who: who(c)}})
}

func who(c bot.Caller) string { return fmt.Sprintf("%s（%s）", c.Roster.Name, c.Roster.Number) }

// setPassword sets the password of a link's person and uses the link up.
func (s *Server) setPassword(w http.ResponseWriter, r *http.Request) {
	token := r.PostFormValue("token")
	c, ok := s.passwordLink(w, r, token)
	if !ok {
		return
	}
	password, again := r.PostFormValue("password"), r.PostFormValue("again")
	d := setPasswordData{Token: token, Who: who(c)}
	var problem string
	switch {
	case password != again:
		problem = "两次输入的密码不一致。"
	case !utf8.ValidString(password) || utf8.RuneCountInString(password) < MinPasswordChars:
		problem = fmt.Sprintf("密码至少需要 %d 个字符（可以用中文）。", MinPasswordChars)
	case len(password) > MaxPasswordBytes:
		problem = fmt.Sprintf("密码过长（最多 %d 字节）。", MaxPasswordBytes)
	}
	if problem != "" {
		s.render(w, r, http.StatusBadRequest, "setpassword", page{Title: "设置控制台密码", Data: d, Error: problem})
		return
	}
	hash, err := HashPassword(password)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.opts.Store.UsePasswordLink(r.Context(), consolelink.TokenHash(token), hash, s.opts.Engine.Now()); errors.Is(err, bot.ErrNotFound) {
		s.passwordLink(w, r, token) // used meanwhile: says so
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("console password set by link", "roster", c.Roster.ID)
	s.setFlash(w, r, fmt.Sprintf("密码已设置。请用工号 %s 和新密码登录。", c.Roster.Number))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
