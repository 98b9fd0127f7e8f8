package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/calendar"
	"github.com/branchbot/branchbot/commands/broadcast"
	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/consolelink"
	"github.com/branchbot/branchbot/commands/core"
	"github.com/branchbot/branchbot/commands/tickets"
	"github.com/branchbot/branchbot/console"
)

// desk is the console over a real engine, SQLite file and in-memory chat
// platform (commandtest), serving on a loopback test server.
type desk struct {
	t   testing.TB
	h   *commandtest.Harness
	srv *httptest.Server
}

// Passwords of the demo roster's people used in the tests.
const (
	staffNumber  = "T0003" // 刘芳, 组织部 组织员
	staffPass    = "组织部刘芳的密码2026"
	secNumber    = "T0007" // 周书记, 第一党支部
	secPass      = "第一党支部书记密码"
	otherBranch  = "第二党支部"
	memberNumber = "2023001" // 张三, 第一党支部
	viceNumber   = "T0004"   // 黄伟, 组织部 副部长: first review level of 计算机学院党委
	vicePass     = "黄伟的审核密码2026"
	headNumber   = "T0005" // 赵强, 组织部 部长: second review level
	headPass     = "赵强的审批密码2026"
	adminNumber  = "T0001" // 王老师, 校党委 管理员
	adminPass    = "王老师的管理员密码"
)

func newDesk(t *testing.T) *desk { return newDeskTB(t) }

// newDeskTB is newDesk for tests and benchmarks.
func newDeskTB(t testing.TB) *desk {
	t.Helper()
	var (
		tk *tickets.Feature
		bc *broadcast.Feature
		ci *checkin.Feature
		fg figureFeatures
		pl *consolelink.Feature
	)
	// The server's address is known before it starts: password links
	// point to it (console.base_url).
	hs := httptest.NewUnstartedServer(nil)
	baseURL := "http://" + hs.Listener.Addr().String() + "/"
	t.Cleanup(hs.Close)
	h := commandtest.New(t, commandtest.Options{Caps: bot.Capabilities{Private: true}, Features: func(h *commandtest.Harness) []bot.Feature {
		cal, err := calendar.New(calendar.Options{Location: commandtest.Shanghai, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		tk = tickets.New(h.Engine, h.DB, cal, h.Config.SLA, nil)
		bc = broadcast.New(h.Engine, h.DB, h.Config, slog.New(slog.DiscardHandler))
		ci = checkin.New(h.Engine, h.DB)
		fg = newFigureFeatures(t, h, cal)
		pl = consolelink.New(h.Engine, h.DB, baseURL)
		return append([]bot.Feature{tk, bc, ci, pl}, fg.list()...)
	}})
	srv, err := console.New(console.Options{Engine: h.Engine, Store: h.DB, Tickets: tk, Broadcasts: bc, Checkin: ci,
		Core: core.New(h.Engine, h.DB, core.Options{Link: h.Config.Roster.Link}), PasswordLinks: pl, Log: slog.New(slog.DiscardHandler),
		Relays: fg.relays, Study: fg.study, Followup: fg.followup})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv
	hs.Start()
	d := &desk{t: t, h: h, srv: hs}
	ctx := context.Background()
	for number, pass := range map[string]string{staffNumber: staffPass, secNumber: secPass, viceNumber: vicePass, headNumber: headPass, adminNumber: adminPass} {
		if _, err := console.SetPassword(ctx, h.Engine, h.DB, number, pass, h.Clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// suggest files a ticket as 张三 (linked) in the 第一党支部 group and
// returns what the chat shows.
func (d *desk) suggest(text string) []string {
	d.t.Helper()
	d.h.Group("第一党支部")
	d.h.As("张三")
	d.h.LinkSpeaker(memberNumber)
	return d.h.Say(text)
}

// unitID is a unit's id by name.
func (d *desk) unitID(name string) int64 {
	d.t.Helper()
	u, ok := d.h.Engine.Units().ByName(name)
	if !ok {
		d.t.Fatalf("no unit %s", name)
	}
	return u.ID
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// client is a Go HTTP client with a cookie jar that does not follow
// redirects (tests look at them).
func (d *desk) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// signIn posts the sign-in form and returns the response status.
func (d *desk) signIn(c *http.Client, number, password string) *http.Response {
	d.t.Helper()
	resp, err := c.PostForm(d.srv.URL+"/login", url.Values{"number": {number}, "password": {password}})
	if err != nil {
		d.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// get fetches a page and returns its status and body.
func (d *desk) get(c *http.Client, path string) (int, string) {
	d.t.Helper()
	return d.read(c.Get(d.srv.URL + path))
}

// read returns a response's status and body.
func (d *desk) read(resp *http.Response, err error) (int, string) {
	d.t.Helper()
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		d.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
