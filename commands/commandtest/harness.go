// Package commandtest runs scripted conversations through the real engine,
// a real SQLite file and the in-memory platform, and compares every reply.
// Feature packages use it for their transcript tests.
//
// A script is a list of lines. Lines starting with ":" are directives, lines
// starting with "> " are the bot output expected since the previous input,
// "#" lines are comments, and every other line is a chat message from the
// current speaker in the current chat:
//
//	:group 第一党支部      switch to a group chat
//	:as 张三              switch the speaker
//	:private             switch to the speaker's private chat with the bot
//	:at 2026-11-23T09:00 set the clock (China time, or RFC 3339)
//	:advance 90m         move the clock (Go durations, plus "2d")
//	:tick                run the features' timed work once
//	:press /join #1      press a button whose data is the rest of the line
//	:image png 会场       send a picture (png: a small PNG, text: a text file,
//	                     large: 11 MB, gone: one the platform cannot fetch),
//	                     with the rest of the line as its caption; the
//	                     platform needs Caps.Images to fetch it
//	:offline / :online   make the platform refuse / accept sends
//	:fail 第二党支部      make sends to one chat fail for good; ":fail" clears
//	:restart             close the engine and database and open them again
//	:link T0007          link the speaker to a roster entry at once, as the
//	                     config's roster.link.preset would, and make the
//	                     current chat known as a message would (no output)
//
// Link codes are drawn from a random source seeded the same for every
// script, so the codes a script is given are the same in every run. The
// demo config's roster.link.preset is not applied unless a test gives its
// own Config: scripts link their speakers with :link or /iam.
//
// Run tests with -update to rewrite the expected lines from what the bot said.
package commandtest

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/memchat"
	"github.com/branchbot/branchbot/commands/core"
	"github.com/branchbot/branchbot/configs"
	"github.com/branchbot/branchbot/storage"
)

var update = flag.Bool("update", false, "rewrite expected transcript output")

// Clock is a settable clock for the engine.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Set sets the clock.
func (c *Clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Options configure a Harness.
type Options struct {
	// Features builds the features under test (core is always registered).
	// It is called again after a restart.
	Features func(h *Harness) []bot.Feature
	// Config defaults to the embedded default config.
	Config *configs.Config
	// Start is the initial clock; default Monday 2026-11-23 09:00 China time.
	Start time.Time
	// Platform name (default "terminal") and capabilities (default none).
	Platform string
	Caps     bot.Capabilities
	// Username is the bot's @name for /cmd@Name addressing.
	Username string
	// Logger is the engine's logger; default: through t.Log.
	Logger *slog.Logger
}

// Harness is one running engine over a real SQLite file.
type Harness struct {
	T      testing.TB
	Dir    string
	Config *configs.Config
	Clock  *Clock
	DB     *storage.DB
	Engine *bot.Engine
	Chat   *memchat.Platform

	opts    Options
	rand    io.Reader
	group   string
	speaker string
	private bool
	failing string
	offline bool
	images  int // pictures sent so far, for their ids
}

// Shanghai is China Standard Time.
var Shanghai = bot.ShanghaiLocation()

// New opens a harness in a temporary folder.
func New(t testing.TB, o Options) *Harness {
	t.Helper()
	defaulted := o.Config == nil
	if defaulted {
		cfg, err := configs.Default()
		if err != nil {
			t.Fatal(err)
		}
		o.Config = cfg
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 11, 23, 9, 0, 0, 0, Shanghai)
	}
	if o.Platform == "" {
		o.Platform = "terminal"
	}
	if o.Username == "" {
		o.Username = "branchbot"
	}
	h := &Harness{T: t, Dir: t.TempDir(), Config: o.Config, Clock: &Clock{t: o.Start}, opts: o, group: "第一党支部", speaker: "张三",
		rand: mathrand.NewChaCha8([32]byte{'b', 'r', 'a', 'n', 'c', 'h', 'b', 'o', 't'})}
	cfg := *o.Config
	if defaulted {
		cfg.Roster.Link.Preset = nil
	}
	cfg.Roster.SeedFile = RepoPath(t, "configs/demo_roster.csv")
	if o.Config.Roster.SeedFile != configs.DemoRosterPath && o.Config.Roster.SeedFile != "" {
		cfg.Roster.SeedFile = o.Config.Roster.SeedFile
	}
	h.Config = &cfg
	h.open()
	t.Cleanup(func() { h.DB.Close() })
	return h
}

// RepoPath is a path relative to the repository root.
func RepoPath(t testing.TB, rel string) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate repository root")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", rel)
}

func (h *Harness) open() {
	t := h.T
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(h.Dir, "branchbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := core.Setup(ctx, db, h.Config); err != nil {
		t.Fatal(err)
	}
	log := h.opts.Logger
	if log == nil {
		log = quietLogger(t)
	}
	e, err := bot.New(bot.Options{Store: db, Now: h.Clock.Now, Admins: h.Config.Admins, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if h.Chat == nil {
		h.Chat = memchat.New(h.opts.Platform, h.opts.Caps)
		h.Chat.SetUsername(h.opts.Username)
	}
	e.AddPlatform(h.Chat)
	h.DB, h.Engine = db, e
	if err := e.Register(core.New(e, db, core.Options{Link: h.Config.Roster.Link, Rand: h.rand})); err != nil {
		t.Fatal(err)
	}
	if h.opts.Features != nil {
		for _, f := range h.opts.Features(h) {
			if err := e.Register(f); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := e.ReloadUnits(ctx); err != nil {
		t.Fatal(err)
	}
}

// Restart closes the database and opens everything again, as after a crash
// or a restart: only what is in SQLite survives.
func (h *Harness) Restart() {
	if err := h.DB.Close(); err != nil {
		h.T.Fatal(err)
	}
	h.open()
}

// Link links the identity speaker (on the harness's platform) to the
// roster entry with number, as an operator's preset would.
func (h *Harness) Link(speaker, number string) error {
	ctx := context.Background()
	e, err := h.DB.RosterByNumber(ctx, number)
	if err != nil {
		return fmt.Errorf("link %s: roster entry %s: %w", speaker, number, err)
	}
	m, err := h.DB.EnsureMember(ctx, h.opts.Platform, speaker, speaker)
	if err != nil {
		return err
	}
	return h.DB.LinkMember(ctx, m.ID, e.ID, h.Clock.Now())
}

// LinkSpeaker links the current speaker to the roster entry with number
// (see Link); a failure fails the test.
func (h *Harness) LinkSpeaker(number string) {
	h.T.Helper()
	if err := h.linkHere(number); err != nil {
		h.T.Fatal(err)
	}
}

// linkHere links the speaker and makes the current chat known, as the
// /iam message it stands for did.
func (h *Harness) linkHere(number string) error {
	id, kind, title := h.chatID()
	if _, err := h.DB.EnsureChat(context.Background(), h.opts.Platform, id, kind, title); err != nil {
		return err
	}
	return h.Link(h.speaker, number)
}

// Save writes a consistent copy of the database to path (SQLite's online
// backup), for Load to return to.
func (h *Harness) Save(path string) error {
	return h.DB.Backup(context.Background(), path)
}

// Load closes the engine and database, replaces the database with the copy
// at path (see Save) and opens everything again: the state the copy holds,
// with nothing kept in memory from before.
func (h *Harness) Load(path string) error {
	if err := h.DB.Close(); err != nil {
		return err
	}
	db := filepath.Join(h.Dir, "branchbot.db")
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(db + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := os.WriteFile(db, b, 0o600); err != nil {
		return err
	}
	h.open()
	return nil
}

// As switches the speaker; Group the chat; Private the speaker's private chat.
func (h *Harness) As(name string)     { h.speaker = name }
func (h *Harness) Group(title string) { h.group, h.private = title, false }
func (h *Harness) Private()           { h.private = true }

func (h *Harness) chatID() (string, bot.ChatKind, string) {
	if h.private {
		return "private:" + h.speaker, bot.Private, h.speaker
	}
	return h.group, bot.Group, h.group
}

// Say sends text from the current speaker, delivers what is due, and returns
// the rendered output.
func (h *Harness) Say(text string) []string {
	id, kind, title := h.chatID()
	h.Engine.Receive(context.Background(), bot.Message{
		Platform: h.opts.Platform, ChatID: id, ChatKind: kind, ChatTitle: title,
		SenderID: h.speaker, SenderName: h.speaker, Text: text, Time: h.Clock.Now(),
	})
	return h.Flush()
}

// SayImage sends a picture with data (and caption, "" for none; nil data:
// a picture the platform cannot fetch) from the current speaker, delivers what is due, and returns the rendered output.
func (h *Harness) SayImage(data []byte, caption string) []string {
	h.images++
	img := fmt.Sprintf("img-%d", h.images)
	if data != nil {
		h.Chat.AddImage(img, data)
	}
	id, kind, title := h.chatID()
	h.Engine.Receive(context.Background(), bot.Message{
		Platform: h.opts.Platform, ChatID: id, ChatKind: kind, ChatTitle: title,
		SenderID: h.speaker, SenderName: h.speaker, Text: caption, Time: h.Clock.Now(), Image: img,
	})
	return h.Flush()
}

// pictureOf makes the bytes of an :image line's kind.
func pictureOf(kind string) ([]byte, error) {
	switch kind {
	case "png":
		var b bytes.Buffer
		img := image.NewRGBA(image.Rect(0, 0, 4, 4))
		img.Set(1, 1, color.RGBA{R: 200, A: 255})
		if err := png.Encode(&b, img); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	case "text":
		return []byte("这不是图片，只是一段文字。"), nil
	case "large":
		return append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 11<<20)...), nil
	case "gone":
		return nil, nil
	}
	return nil, fmt.Errorf("unknown picture kind %q (png, text, large, gone)", kind)
}

// Press presses a button with the given data.
func (h *Harness) Press(data string) []string {
	id, kind, title := h.chatID()
	h.Engine.Receive(context.Background(), bot.Message{
		Platform: h.opts.Platform, ChatID: id, ChatKind: kind, ChatTitle: title,
		SenderID: h.speaker, SenderName: h.speaker, Text: data, Time: h.Clock.Now(), CallbackID: fmt.Sprintf("cb-%s-%d", h.speaker, h.Clock.Now().UnixNano()),
	})
	return h.Flush()
}

// Tick runs the features' timed work and delivers what is due.
func (h *Harness) Tick() []string {
	h.Engine.Tick(context.Background())
	return h.Flush()
}

// Flush delivers what is due and returns it rendered.
func (h *Harness) Flush() []string {
	h.Engine.Flush(context.Background())
	var out []string
	for _, s := range h.Chat.Take() {
		out = append(out, strings.Split(RenderSent(s), "\n")...)
	}
	return out
}

// RenderSent shows one sent message as the terminal would.
func RenderSent(s memchat.Sent) string {
	if s.CallbackID != "" {
		return "(提示) " + s.Text
	}
	label := s.ChatID
	if rest, ok := strings.CutPrefix(label, "private:"); ok {
		label = "私聊 " + rest
	}
	return bot.Render(label, "branchbot", s.Outbound, s.Edit)
}

func (h *Harness) setFailures() {
	failing, offline := h.failing, h.offline
	h.Chat.FailWith(func(o bot.Outbound) error {
		if offline {
			return bot.ErrNotConnected
		}
		if failing != "" && o.ChatID == failing {
			return &bot.PermanentError{Err: errors.New("chat not found")}
		}
		return nil
	})
}

// Do runs one script line and returns the output it produced.
func (h *Harness) Do(line string) ([]string, error) {
	if !strings.HasPrefix(line, ":") {
		return h.Say(line), nil
	}
	cmd, arg, _ := strings.Cut(strings.TrimPrefix(line, ":"), " ")
	arg = strings.TrimSpace(arg)
	switch cmd {
	case "group":
		h.Group(arg)
	case "as":
		h.As(arg)
	case "private":
		h.Private()
	case "at":
		t, err := ParseTime(arg)
		if err != nil {
			return nil, err
		}
		h.Clock.Set(t)
	case "advance":
		d, err := ParseDuration(arg)
		if err != nil {
			return nil, err
		}
		h.Clock.Advance(d)
	case "tick":
		return h.Tick(), nil
	case "press":
		return h.Press(arg), nil
	case "image":
		kind, caption, _ := strings.Cut(arg, " ")
		data, err := pictureOf(kind)
		if err != nil {
			return nil, err
		}
		return h.SayImage(data, caption), nil
	case "offline":
		h.offline = true
		h.setFailures()
	case "online":
		h.offline = false
		h.setFailures()
		return h.Flush(), nil
	case "fail":
		h.failing = arg
		h.setFailures()
	case "restart":
		h.Restart()
		h.setFailures()
		return h.Flush(), nil
	case "link":
		return nil, h.linkHere(arg)
	default:
		return nil, fmt.Errorf("unknown directive %q", line)
	}
	return nil, nil
}

// ParseTime reads "2006-01-02T15:04" (China time) or RFC 3339.
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.ParseInLocation("2006-01-02T15:04", s, Shanghai)
}

// ParseDuration reads Go durations and whole days ("2d").
func ParseDuration(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(d, "%d", &n); err == nil {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	return time.ParseDuration(s)
}

// Script runs a script and reports every mismatch. It returns the script
// with the actual output in place of the expected lines.
func (h *Harness) Script(script string) string {
	h.T.Helper()
	var (
		out      strings.Builder
		expected []string
		actual   []string
		inputLn  int
		inputTxt string
	)
	check := func() {
		if !equal(expected, actual) {
			h.T.Errorf("line %d %q:\n--- want\n%s\n--- got\n%s", inputLn, inputTxt, strings.Join(expected, "\n"), strings.Join(actual, "\n"))
		}
		for _, a := range actual {
			out.WriteString("> " + a + "\n")
		}
		expected, actual = nil, nil
	}
	lines := strings.Split(strings.TrimRight(script, "\n"), "\n")
	for i, line := range lines {
		if rest, ok := strings.CutPrefix(line, ">"); ok {
			expected = append(expected, strings.TrimPrefix(rest, " "))
			continue
		}
		check()
		out.WriteString(line + "\n")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		inputLn, inputTxt = i+1, line
		got, err := h.Do(line)
		if err != nil {
			h.T.Fatalf("line %d: %v", i+1, err)
		}
		actual = got
	}
	check()
	return out.String()
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// RunFiles runs every txtar archive matching pattern; each file in an
// archive is a script run as a subtest on a fresh harness.
func RunFiles(t *testing.T, pattern string, o Options) {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no transcripts match %s", pattern)
	}
	for _, file := range files {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		changed := false
		for i, f := range ar.Files {
			t.Run(filepath.Base(file)+"/"+f.Name, func(t *testing.T) {
				h := New(t, o)
				got := h.Script(string(f.Data))
				if *update && got != string(f.Data) {
					ar.Files[i].Data = []byte(got)
					changed = true
				}
			})
		}
		if *update && changed {
			if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// Golden compares got with the file at path; with -update it rewrites the
// file instead. For listings reviewed as a whole, such as the registry's
// commands.
func Golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to write it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (review, then rewrite with -update):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// NoReview takes every review chain out of cfg's units, so that
// broadcasts in a script go out at once.
func NoReview(cfg *configs.Config) {
	var strip func(us []configs.UnitConfig)
	strip = func(us []configs.UnitConfig) {
		for i := range us {
			us[i].Review = nil
			strip(us[i].Children)
		}
	}
	strip(cfg.Units)
}
