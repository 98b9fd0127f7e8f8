package qq_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/calendar"
	"github.com/branchbot/branchbot/bot/qq"
	"github.com/branchbot/branchbot/bot/qq/qqtest"
	"github.com/branchbot/branchbot/commands"
	"github.com/branchbot/branchbot/commands/core"
	"github.com/branchbot/branchbot/configs"
	"github.com/branchbot/branchbot/storage"
)

// The cast of the end-to-end tests: the bot's account, one branch group,
// its secretary and members (Member(i) is QQ 30000+i, 学号 Q0000+i).
const (
	selfQQ    = 10001
	branchQQ  = 555000111 // the group of 第一党支部
	secQQ     = 20007     // 周书记
	token     = "s3cret-onebot-token"
	waitLimit = 15 * time.Second
)

func memberQQ(i int) int64    { return int64(30000 + i) }
func memberName(i int) string { return fmt.Sprintf("党员%02d", i) }

// rig is the whole bot (every feature, the real engine, a SQLite file) with
// the QQ adapter on a loopback port, and a fake bridge dialing it.
type rig struct {
	t      *testing.T
	dir    string
	url    string
	addr   string
	world  *qqtest.World
	bridge *qqtest.Bridge
	p      *qq.Platform
	db     *storage.DB
	eng    *bot.Engine
	cancel context.CancelFunc
	done   chan error
}

type rigOptions struct {
	members int            // roster members besides the secretary (default 4)
	bridge  qqtest.Options // URL and Token are filled in
	noStart bool           // no bridge
	qq      qq.Options     // Listener, Logger, AccessToken are filled in
	limits  bot.Limits     // the outbox's limits for QQ
}

func logger() *slog.Logger {
	if os.Getenv("QQTEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func newRig(t *testing.T, o rigOptions) *rig {
	t.Helper()
	if o.members == 0 {
		o.members = 4
	}
	dir := t.TempDir()
	var roster strings.Builder
	roster.WriteString("姓名,学号/工号,单位,角色,手机\n周书记,T0007,第一党支部,书记,\n")
	members := []qqtest.Member{{UserID: secQQ, Nickname: "老周", Card: "周书记"}}
	for i := 1; i <= o.members; i++ {
		fmt.Fprintf(&roster, "%s,Q%04d,第一党支部,党员,\n", memberName(i), i)
		members = append(members, qqtest.Member{UserID: memberQQ(i), Nickname: "nick" + memberName(i), Card: memberName(i)})
	}
	if err := os.WriteFile(filepath.Join(dir, "roster.csv"), []byte(roster.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	// The secretary and every member are linked by the operator's preset,
	// as roster.link.preset does (a secretary links only with proof).
	preset := []string{fmt.Sprintf("%q", fmt.Sprintf("qq:%d=T0007", secQQ))}
	for i := 1; i <= o.members; i++ {
		preset = append(preset, fmt.Sprintf("%q", fmt.Sprintf("qq:%d=Q%04d", memberQQ(i), i)))
	}
	cfgText := fmt.Sprintf("data_dir: %s\nadmins: []\nunits:\n  - name: 校党委\n    children:\n      - name: 第一党支部\n"+
		"roster:\n  seed_file: %s\n  link:\n    preset: [%s]\n", dir, filepath.Join(dir, "roster.csv"), strings.Join(preset, ", "))
	cfg, err := configs.Parse([]byte(cfgText), "test config")
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, dir: dir}
	r.world = qqtest.NewWorld(selfQQ, "支部助手")
	r.world.AddGroup(qqtest.Group{ID: branchQQ, Name: "第一党支部群", Members: members})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	r.url = "ws://" + r.addr + qq.DefaultPath
	r.start(cfg, ln, o)
	if !o.noStart {
		bo := o.bridge
		bo.URL, bo.Token = r.url, token
		r.bridge = qqtest.Start(r.world, bo)
		t.Cleanup(r.bridge.Close)
		r.waitConnected()
	}
	t.Cleanup(r.stop) // before the bridge closes
	return r
}

// start opens the database and runs the bot on ln, as app.Open and run do.
func (r *rig) start(cfg *configs.Config, ln net.Listener, ro rigOptions) {
	o := ro.qq
	t := r.t
	ctx := context.Background()
	db, err := storage.Open(ctx, cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := core.Setup(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}
	log := logger()
	eng, err := bot.New(bot.Options{Store: db, Logger: log, Location: cfg.Location(), TickEvery: time.Hour, ShutdownGrace: waitLimit,
		Limits: map[string]bot.Limits{qq.Name: ro.limits}})
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.New(calendar.Options{Location: cfg.Location(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := commands.Register(commands.Deps{Engine: eng, DB: db, Config: cfg, Calendar: cal, Log: log}); err != nil {
		t.Fatal(err)
	}
	if err := eng.ReloadUnits(ctx); err != nil {
		t.Fatal(err)
	}
	o.Listener, o.Logger = ln, log
	if o.AccessToken == "" {
		o.AccessToken = token
	}
	p, err := qq.New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.AddPlatform(p); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	r.db, r.eng, r.p, r.cancel, r.done = db, eng, p, cancel, make(chan error, 1)
	go func() { r.done <- eng.Run(runCtx) }()
}

func (r *rig) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil && err != context.Canceled {
			r.t.Errorf("engine: %v", err)
		}
	case <-time.After(2 * waitLimit):
		r.t.Error("the engine did not stop")
	}
	r.cancel = nil
	if err := r.db.Close(); err != nil {
		r.t.Errorf("close db: %v", err)
	}
}

func (r *rig) waitConnected() {
	r.t.Helper()
	if !waitFor(func() bool { return r.p.Connected() && r.bridge.Connected() }) {
		r.t.Fatalf("the bridge did not connect; refusals %v", r.bridge.Refusals())
	}
}

func waitFor(ok func() bool) bool {
	deadline := time.Now().Add(waitLimit)
	for !ok() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// say makes user say text in the branch group.
func (r *rig) say(user int64, segs ...qqtest.Segment) int64 {
	r.t.Helper()
	id, err := r.bridge.SayGroup(branchQQ, user, segs...)
	if err != nil {
		r.t.Fatal(err)
	}
	return id
}

func (r *rig) sayText(user int64, text string) int64 { return r.say(user, qqtest.Text(text)) }

// await waits for a delivered message to the group (user 0) or to user's
// private chat whose text contains want, after the first skip delivered
// there, and returns it.
func (r *rig) await(user int64, want string, skip int) qqtest.Sent {
	r.t.Helper()
	var got qqtest.Sent
	if !waitFor(func() bool {
		n := 0
		for _, s := range r.world.Delivered() {
			if !to(s, user) {
				continue
			}
			n++
			if n > skip && strings.Contains(s.Text(), want) {
				got = s
				return true
			}
		}
		return false
	}) {
		r.t.Fatalf("nothing containing %q arrived; delivered: %s", want, r.dump(user))
	}
	return got
}

// count is how many messages delivered to the chat contain text.
func (r *rig) count(user int64, text string) int {
	n := 0
	for _, s := range r.world.Delivered() {
		if to(s, user) && strings.Contains(s.Text(), text) {
			n++
		}
	}
	return n
}

func (r *rig) delivered(user int64) int {
	n := 0
	for _, s := range r.world.Delivered() {
		if to(s, user) {
			n++
		}
	}
	return n
}

func to(s qqtest.Sent, user int64) bool {
	if user == 0 {
		return s.Group == branchQQ
	}
	return s.User == user
}

func (r *rig) dump(user int64) string {
	var b strings.Builder
	for _, s := range r.world.Delivered() {
		if to(s, user) {
			fmt.Fprintf(&b, "\n  %q at=%s reply=%s", s.Text(), s.AtQQ(), s.ReplyID())
		}
	}
	return b.String()
}

// setUpBranch binds the group to the branch, as its secretary starts.
func (r *rig) setUpBranch() {
	r.t.Helper()
	r.sayText(secQQ, "/bind 第一党支部")
	r.await(0, "已将本群绑定到「第一党支部」", 0)
}
