package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/branchbot/branchbot/bot"
)

type callerKey struct{}

// caller is the signed-in person of a request passed by signedIn.
func caller(r *http.Request) bot.Caller {
	c, _ := r.Context().Value(callerKey{}).(bot.Caller)
	return c
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// signedIn runs h for a request with a live session of a roster entry that
// may still use the console; others go to the sign-in page (htmx requests
// are told to go there with HX-Redirect).
func (s *Server) signedIn(h func(http.ResponseWriter, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := s.session(r)
		if !ok {
			if r.Header.Get("HX-Request") != "" {
				w.Header().Set("HX-Redirect", "/login")
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	})
}

func (s *Server) session(r *http.Request) (bot.Caller, bool) {
	ck, err := r.Cookie(sessionCookieName)
	if err != nil || ck.Value == "" {
		return bot.Caller{}, false
	}
	sess, err := s.opts.Store.ConsoleSession(r.Context(), tokenHash(ck.Value), s.opts.Engine.Now())
	if err != nil {
		if !errors.Is(err, bot.ErrNotFound) {
			s.log.Error("read session", "err", err)
		}
		return bot.Caller{}, false
	}
	c, err := s.opts.Engine.CallerOfRoster(r.Context(), sess.RosterID)
	if err != nil || !mayUseConsole(c) {
		// Taken off the roster, or no longer holding a role.
		return bot.Caller{}, false
	}
	return c, true
}

// clientAddress is the address failed sign-ins are counted by: the peer's
// IP (a proxy in front should be the only peer; see README).
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.session(r); ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", page{Title: "登录", Next: safeNext(r.URL.Query().Get("next")), Flash: s.takeFlash(w, r)})
}

// safeNext keeps a redirect after sign-in on the console itself.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	number := strings.TrimSpace(r.PostFormValue("number"))
	password := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	now := s.opts.Engine.Now()
	addr := clientAddress(r)
	p := page{Title: "登录", Next: next, Number: number}
	byAddr, byAccount, err := s.opts.Store.LoginFailures(ctx, addr, number, now.Add(-lockWindow))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if byAddr >= maxFailsAddress || byAccount >= maxFailsAccount {
		s.log.Warn("sign-in locked", "address", addr, "failures_address", byAddr, "failures_account", byAccount)
		w.Header().Set("Retry-After", strconv.Itoa(int(lockWindow.Seconds())))
		p.Error = "登录失败次数过多，已暂时锁定。请 15 分钟后再试。"
		s.render(w, r, http.StatusTooManyRequests, "login", p)
		return
	}
	c, ok := s.checkSignIn(ctx, number, password)
	if !ok {
		if err := s.opts.Store.AddLoginFailure(ctx, addr, number, now); err != nil {
			s.fail(w, r, err)
			return
		}
		s.log.Warn("sign-in failed", "address", addr)
		p.Error = "工号或密码不正确。"
		if byAccount+1 >= maxFailsAccount || byAddr+1 >= maxFailsAddress {
			p.Error += "失败次数过多，已暂时锁定 15 分钟。"
		}
		s.render(w, r, http.StatusUnauthorized, "login", p)
		return
	}
	if err := s.opts.Store.ClearLoginFailures(ctx, number); err != nil {
		s.fail(w, r, err)
		return
	}
	token := rand.Text()
	sess := Session{TokenHash: tokenHash(token), RosterID: c.Roster.ID, CreatedAt: now, ExpiresAt: now.Add(s.opts.SessionTTL)}
	if err := s.opts.Store.CreateConsoleSession(ctx, sess); err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookieName, Value: token, Path: "/", MaxAge: int(s.opts.SessionTTL.Seconds()),
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	s.log.Info("signed in", "roster", c.Roster.ID)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// checkSignIn finds the caller for a 工号 and password. A 工号 without a
// password (or unknown) is checked against a dummy hash, so that a wrong
// 工号 takes as long as a wrong password.
func (s *Server) checkSignIn(ctx context.Context, number, password string) (bot.Caller, bool) {
	hash := ""
	var c bot.Caller
	if number != "" && len(password) <= MaxPasswordBytes {
		if e, err := s.opts.Store.RosterByNumber(ctx, number); err == nil {
			if cc, err := s.opts.Engine.CallerOfRoster(ctx, e.ID); err == nil && mayUseConsole(cc) {
				if h, err := s.opts.Store.ConsolePassword(ctx, e.ID); err == nil {
					hash, c = h, cc
				}
			}
		}
	}
	if hash == "" {
		CheckPassword(dummyHash(), password)
		return bot.Caller{}, false
	}
	return c, CheckPassword(hash, password)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(sessionCookieName); err == nil && ck.Value != "" {
		if err := s.opts.Store.DeleteConsoleSession(r.Context(), tokenHash(ck.Value)); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
