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
	dir := t.TempDir()
	db, err := storage.Open(ctx, filepath.Join(dir, "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.SyncUnits(ctx, []core.UnitDef{{Name: "第一党支部"}}); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, err := bot.New(bot.Options{Store: db, Logger: quiet, TickEvery: time.Hour, Admins: []string{"telegram:1"}})
	if err != nil {
		t.Fatal(err)
	}
	photos := filepath.Join(dir, "minutes")
	f := checkin.New(eng, db).WithPhotoDir(photos)
	for _, ft := range []bot.Feature{core.New(eng, db, core.Options{}), f} {
		if err := eng.Register(ft); err != nil {
			t.Fatal(err)
		}
	}
	tg, err := telegram.New(ctx, telegram.Options{Token: srv.Token, APIURL: srv.URL, PollTimeout: 2 * time.Second, Buttons: db, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	eng.AddPlatform(tg)
	if err := eng.ReloadUnits(ctx); err != nil {
		t.Fatal(err)
	}
	unit, _ := eng.Units().ByName("第一党支部")
	secretary := telegramtest.Person(1, "王老师", "")
	group := telegramtest.Group(-100, "第一党支部群")
	srv.NewMessage(group, secretary, "")
	c, err := db.EnsureChat(ctx, telegram.Name, strconv.FormatInt(group.ID, 10), bot.Group, group.Title)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.BindChat(ctx, c.ID, unit.ID); err != nil {
		t.Fatal(err)
	}
	m, err := db.EnsureMember(ctx, telegram.Name, "1", "王老师")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := f.OpenSession(ctx, checkin.Session{ChatID: c.ID, UnitID: unit.ID, Title: "支部党员大会", OpenedBy: m.ID, OpenedAt: now,
		Deadline: now.Add(time.Hour), EndsAt: now.Add(time.Hour)}, now); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- eng.Run(runCtx) }()
	defer func() { cancel(); <-done }()

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
}
