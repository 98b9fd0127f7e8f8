package checkin_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/telegram"
	"github.com/branchbot/branchbot/bot/telegram/telegramtest"
	"github.com/branchbot/branchbot/bot/wechat"
	"github.com/branchbot/branchbot/bot/wechat/wechattest"
	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/core"
	"github.com/branchbot/branchbot/storage"
)

// TestMinutesPhotoOverTelegram: a photo captioned "/会议记录 #1" in a
// Telegram group goes through the real adapter (getFile and the file
// download address of the fake Bot API server) into the photo folder under
// a name the bot makes, is recorded with the session, its caption text kept
// as minutes; a file that is not a picture is refused, and a text note
// without anything says how photos are added.
func TestMinutesPhotoOverTelegram(t *testing.T) {
	ctx := context.Background()
	srv := telegramtest.New(t, telegramtest.Options{})
	r := newPhotoRig(t, "telegram:1")
	db, photos := r.db, r.photos
	tg, err := telegram.New(ctx, telegram.Options{Token: srv.Token, APIURL: srv.URL, PollTimeout: 2 * time.Second, Buttons: db, Logger: r.log})
	if err != nil {
		t.Fatal(err)
	}
	secretary := telegramtest.Person(1, "王老师", "")
	group := telegramtest.Group(-100, "第一党支部群")
	srv.NewMessage(group, secretary, "")
	r.meeting(t, tg, strconv.FormatInt(group.ID, 10), group.Title, "1", "王老师")
	r.run(t)

	reply := func(want string) {
		t.Helper()
		srv.WaitCall(t, "sendMessage", 10*time.Second, func(c telegramtest.Call) bool { return strings.Contains(c.Params["text"], want) })
	}
	var pic bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	if err := png.Encode(&pic, img); err != nil {
		t.Fatal(err)
	}
	srv.SayPhoto(group, secretary, "/会议记录 #1 会场照片", pic.Bytes())
	reply("已为签到 #1「支部党员大会」添加会议照片（第 1 张")
	reply("配文已作为会议记录保存（4 字）")

	ps, err := db.CheckinPhotos(ctx, 1)
	if err != nil || len(ps) != 1 {
		t.Fatalf("photos %v, %v", ps, err)
	}
	if ps[0].File == "" || strings.ContainsAny(ps[0].File, "/\\") || !strings.HasSuffix(ps[0].File, ".png") || ps[0].AuthorName != "王老师" {
		t.Errorf("photo recorded as %+v", ps[0])
	}
	got, err := os.ReadFile(filepath.Join(photos, ps[0].File))
	if err != nil || !bytes.Equal(got, pic.Bytes()) {
		t.Errorf("the kept file differs from the photo sent (%v)", err)
	}
	notes, err := db.CheckinNotes(ctx, 1)
	if err != nil || len(notes) != 1 || notes[0].Text != "会场照片" {
		t.Errorf("notes %v, %v", notes, err)
	}

	// Content decides, not the sender: text bytes are no picture.
	srv.SayPhoto(group, secretary, "/会议记录", []byte("not a picture at all, just some text"))
	reply("收到的文件不是图片")
	srv.Say(group, secretary, "/会议记录")
	reply("会议照片：发送图片，配文写「/会议记录 #编号」；或先发「/会议照片 #编号」")
	if ps, _ := db.CheckinPhotos(ctx, 1); len(ps) != 1 {
		t.Errorf("%d photos after a refused file, want 1", len(ps))
	}
	if entries, _ := os.ReadDir(photos); len(entries) != 1 {
		t.Errorf("%d files in the photo folder, want 1", len(entries))
	}
}

// TestPhotoWaitTranscripts: photos of minutes on a platform whose pictures
// carry no words (the wait that "/会议照片" starts), and where pictures
// cannot reach the bot at all.
func TestPhotoWaitTranscripts(t *testing.T) {
	withPhotos := func(h *commandtest.Harness) []bot.Feature {
		return []bot.Feature{checkin.New(h.Engine, h.DB).WithPhotoDir(filepath.Join(h.Dir, "minutes"))}
	}
	commandtest.RunFiles(t, "testdata/photos.txtar", commandtest.Options{Features: withPhotos,
		Caps: bot.Capabilities{Mentions: true, Private: true, Images: true}})
	commandtest.RunFiles(t, "testdata/photos-unavailable.txtar", commandtest.Options{Features: withPhotos})
}

// TestMinutesPhotosOverWeChat: on WeChat, where a picture is a message of
// its own, the secretary says "/会议照片 #1" in the group and the picture
// they send next goes through the real adapter (openwechat: webwxsync,
// then webwxgetmsgimg on the fake server) into the photo folder; a picture
// another member sends meanwhile is not taken, and 「完成」 ends the wait.
func TestMinutesPhotosOverWeChat(t *testing.T) {
	ctx := context.Background()
	const groupName, secretary = "第一党支部群", "王老师"
	srv := wechattest.New(wechattest.Options{AutoConfirm: true})
	t.Cleanup(srv.Close) // after the bot stops (cleanups run last first)
	srv.AddGroup(wechattest.Group{Name: groupName, Saved: true, Members: []wechattest.Member{{NickName: secretary}, {NickName: "张三"}}})
	secretaryID := wechat.MemberID(groupName, secretary)
	r := newPhotoRig(t, wechat.Name+":"+secretaryID)
	db, photos := r.db, r.photos
	wp := wechat.New(wechat.Options{SessionFile: filepath.Join(t.TempDir(), "wechat-session.json"), Logger: r.log, Transport: srv.Transport(),
		LoginRetry: 50 * time.Millisecond, SyncErrorPause: 20 * time.Millisecond})
	r.meeting(t, wp, groupName, groupName, secretaryID, secretary)
	r.run(t)
	if !wechattest.WaitFor(15*time.Second, wp.Connected) {
		t.Fatal("the adapter did not log in")
	}

	reply := func(want string) {
		t.Helper()
		ok := wechattest.WaitFor(10*time.Second, func() bool {
			for _, s := range srv.Delivered() {
				if s.Group == groupName && strings.Contains(s.Content, want) {
					return true
				}
			}
			return false
		})
		if !ok {
			t.Fatalf("no %q in the group; sent: %+v", want, srv.Sent())
		}
	}
	say := func(member, text string) {
		t.Helper()
		if err := srv.Say(groupName, member, text); err != nil {
			t.Fatal(err)
		}
	}
	picture := func(member string, data []byte) {
		t.Helper()
		if _, err := srv.SayPicture(groupName, member, data); err != nil {
			t.Fatal(err)
		}
	}
	var pic bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(2, 2, color.RGBA{G: 200, A: 255})
	if err := png.Encode(&pic, img); err != nil {
		t.Fatal(err)
	}

	say(secretary, "/会议照片 #1")
	reply("请在 10 分钟内发送签到 #1「支部党员大会」的会议照片")
	picture("张三", []byte("not the secretary's"))
	picture(secretary, pic.Bytes())
	reply("已保存第 1 张照片到签到 #1「支部党员大会」")
	say(secretary, "完成")
	reply("会议照片已收完：本次为签到 #1「支部党员大会」保存 1 张。")

	ps, err := db.CheckinPhotos(ctx, 1)
	if err != nil || len(ps) != 1 {
		t.Fatalf("photos %v, %v", ps, err)
	}
	if !strings.HasSuffix(ps[0].File, ".png") || ps[0].AuthorName != secretary {
		t.Errorf("photo recorded as %+v", ps[0])
	}
	got, err := os.ReadFile(filepath.Join(photos, ps[0].File))
	if err != nil || !bytes.Equal(got, pic.Bytes()) {
		t.Errorf("the kept file differs from the picture sent (%v)", err)
	}
	for _, s := range srv.Delivered() {
		if strings.Contains(s.Content, "不是图片") {
			t.Errorf("the other member's picture was answered: %q", s.Content)
		}
	}
}

// photoRig is a bot with the check-in feature keeping photos (under
// photos), on a real SQLite file, for the adapter of one platform.
type photoRig struct {
	db     *storage.DB
	eng    *bot.Engine
	f      *checkin.Feature
	photos string
	log    *slog.Logger
}

// newPhotoRig makes the bot with the unit 第一党支部; admin (platform:id)
// may do what a secretary does.
func newPhotoRig(t *testing.T, admin string) *photoRig {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := storage.Open(ctx, filepath.Join(dir, "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.SyncUnits(ctx, []core.UnitDef{{Name: "第一党支部"}}); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, err := bot.New(bot.Options{Store: db, Logger: quiet, TickEvery: time.Hour, Admins: []string{admin}})
	if err != nil {
		t.Fatal(err)
	}
	r := &photoRig{db: db, eng: eng, photos: filepath.Join(dir, "minutes"), log: quiet}
	r.f = checkin.New(eng, db).WithPhotoDir(r.photos)
	for _, ft := range []bot.Feature{core.New(eng, db, core.Options{}), r.f} {
		if err := eng.Register(ft); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// meeting adds the platform, binds its group chatID to 第一党支部 and opens
// session #1 there, 支部党员大会, by the member with memberID.
func (r *photoRig) meeting(t *testing.T, p bot.Platform, chatID, title, memberID, name string) {
	ctx := context.Background()
	if err := r.eng.AddPlatform(p); err != nil {
		t.Fatal(err)
	}
	if err := r.eng.ReloadUnits(ctx); err != nil {
		t.Fatal(err)
	}
	unit, _ := r.eng.Units().ByName("第一党支部")
	c, err := r.db.EnsureChat(ctx, p.Name(), chatID, bot.Group, title)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.db.BindChat(ctx, c.ID, unit.ID); err != nil {
		t.Fatal(err)
	}
	m, err := r.db.EnsureMember(ctx, p.Name(), memberID, name)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := r.f.OpenSession(ctx, checkin.Session{ChatID: c.ID, UnitID: unit.ID, Title: "支部党员大会", OpenedBy: m.ID, OpenedAt: now,
		Deadline: now.Add(time.Hour), EndsAt: now.Add(time.Hour)}, now); err != nil {
		t.Fatal(err)
	}
}

// run runs the engine until the test ends.
func (r *photoRig) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.eng.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}
