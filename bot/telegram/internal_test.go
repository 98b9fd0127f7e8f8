package telegram

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/telegram/telegramtest"
)

func TestCommandTextUsesUTF16Offsets(t *testing.T) {
	p := &Platform{me: models.User{ID: 9, Username: "ThisBot"}}
	conv := func(es []telegramtest.Entity) []models.MessageEntity {
		var out []models.MessageEntity
		for _, e := range es {
			out = append(out, models.MessageEntity{Type: models.MessageEntityType(e.Type), Offset: e.Offset, Length: e.Length})
		}
		return out
	}
	tests := []struct {
		text, want string
		mentions   bool
	}{
		{"/checkin@ThisBot 1234", "/checkin@ThisBot 1234", false},
		{"收到 /checkin@ThisBot 1234", "/checkin@ThisBot 1234", false},
		{"👍🏻👨‍👩‍👧 收到，/checkin 1234", "/checkin 1234", false},
		{"𠀀𠀁 /ping", "/ping", false}, // characters outside the BMP
		{"@ThisBot 签到 1234", "签到 1234", true},
		{"@thisbot，签到", "签到", true},
		{"请 @ThisBot 看一下", "请 @ThisBot 看一下", true},
		{"@ThisBotX 签到", "@ThisBotX 签到", false},
		{"普通聊天", "普通聊天", false},
	}
	for _, tc := range tests {
		got, m := p.commandText(tc.text, conv(telegramtest.Entities(tc.text)))
		if got != tc.want || m != tc.mentions {
			t.Errorf("commandText(%q) = %q, %v; want %q, %v", tc.text, got, m, tc.want, tc.mentions)
		}
	}
	// A bad offset (not on a character boundary) leaves the text whole.
	if got, _ := p.commandText("👍 /x", []models.MessageEntity{{Type: models.MessageEntityTypeBotCommand, Offset: 1, Length: 2}}); got != "👍 /x" {
		t.Errorf("bad offset: %q", got)
	}
}

func TestSplitText(t *testing.T) {
	line := strings.Repeat("党", 30) + "\n"
	text := strings.Repeat(line, 10) // 310 units
	parts := splitText(text, 100)
	if strings.Join(parts, "\n") != text { // cut at line ends, which are dropped
		t.Fatalf("split lost text: %q", parts)
	}
	for _, p := range parts {
		if n := utf16Len(p); n > 100 {
			t.Fatalf("part of %d units", n)
		}
		if strings.HasPrefix(p, "\n") {
			t.Fatalf("part starts with a newline: %q", p)
		}
	}
	// No line ends: hard cuts, never inside a surrogate pair.
	emoji := strings.Repeat("😀", 120) // 240 units
	parts = splitText(emoji, 101)
	if strings.Join(parts, "") != emoji {
		t.Fatal("split changed the text")
	}
	for _, p := range parts {
		if utf16Len(p) > 101 || strings.ContainsRune(p, '\uFFFD') {
			t.Fatalf("bad part %q", p)
		}
	}
	if got := splitText("短", 4096); len(got) != 1 || got[0] != "短" {
		t.Fatalf("short text: %q", got)
	}
	if got := truncateUTF16(strings.Repeat("😀", 150), 200); utf16Len(got) > 200 || !strings.HasSuffix(got, "…") {
		t.Fatalf("truncate: %d units", utf16Len(got))
	}
}

// TestMentionsInParts: a long text that names members is cut into parts,
// and each part carries the text_mention entities of the names in it, at
// offsets counted in UTF-16 from the part's start.
func TestMentionsInParts(t *testing.T) {
	line := strings.Repeat("😀", 20) + "@张三 @李四\n" // 48 units
	text := strings.Repeat(line, 3)
	ms := []bot.Mention{{UserID: "1", Name: "张三"}, {UserID: "2", Name: "李四"}, {UserID: "1", Name: "张三"},
		{UserID: "2", Name: "李四"}, {UserID: "1", Name: "张三"}, {UserID: "x", Name: "李四"}}
	full, ents := withMention(bot.Outbound{Text: text, Mentions: ms})
	if len(ents) != 5 { // the last id is not a Telegram user: text only
		t.Fatalf("%d entities, want 5", len(ents))
	}
	spans := splitSpans(full, 60)
	if len(spans) != 3 {
		t.Fatalf("%d parts, want 3", len(spans))
	}
	for i, sp := range spans {
		part := full[sp[0]:sp[1]]
		got := entitiesIn(full, ents, sp[0], sp[1])
		want := 2
		if i == 2 {
			want = 1
		}
		if len(got) != want {
			t.Errorf("part %d carries %d entities, want %d", i, len(got), want)
		}
		u := utf16.Encode([]rune(part))
		for _, e := range got {
			if name := string(utf16.Decode(u[e.Offset : e.Offset+e.Length])); name != "@"+e.User.FirstName {
				t.Errorf("part %d: entity covers %q, want @%s", i, name, e.User.FirstName)
			}
		}
	}
}

func TestClassify(t *testing.T) {
	p := &Platform{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	var retry *bot.RetryAfterError
	if err := p.classify(&tgbot.TooManyRequestsError{RetryAfter: 3}); !errors.As(err, &retry) || retry.After != 3*time.Second {
		t.Errorf("429: %v", err)
	}
	var mig *bot.ChatMigratedError
	if err := p.classify(&tgbot.MigrateError{MigrateToChatID: -1001}); !errors.As(err, &mig) || mig.NewID != "-1001" {
		t.Errorf("migrate: %v", err)
	}
	if err := p.classify(fmt.Errorf("%w, Forbidden: bot was kicked from the group chat", tgbot.ErrorForbidden)); !errors.Is(err, bot.ErrChatGone) {
		t.Errorf("403: %v", err)
	}
	if err := p.classify(fmt.Errorf("%w, Bad Request: chat not found", tgbot.ErrorBadRequest)); !errors.Is(err, bot.ErrChatGone) {
		t.Errorf("chat not found: %v", err)
	}
	var perm *bot.PermanentError
	if err := p.classify(fmt.Errorf("%w, Bad Request: can't parse entities", tgbot.ErrorBadRequest)); !errors.As(err, &perm) {
		t.Errorf("400: %v", err)
	}
	if err := p.classify(fmt.Errorf("%w, Unauthorized", tgbot.ErrorUnauthorized)); !errors.Is(err, bot.ErrNotConnected) {
		t.Errorf("401: %v", err)
	}
	plain := errors.New("error response from telegram for method sendMessage, 502 Bad Gateway")
	if err := p.classify(plain); err != plain {
		t.Errorf("5xx should be retried as is: %v", err)
	}
}

func TestMenuCommands(t *testing.T) {
	specs := []bot.CommandSpec{
		{Name: "checkin", Aliases: []string{"签到"}, Summary: "签到", Subs: []bot.CommandSpec{
			// Sub-command words and Chinese flat names are no menu entries.
			{Name: "open", Aliases: []string{"发起"}, Flat: []string{"checkin_open", "发起签到"}, Summary: "发起签到"},
			{Name: "close", Flat: []string{"checkin_close"}, Summary: "结束签到", Where: bot.GroupOnly},
		}},
		{Name: "签到二"},
		{Name: "Bad-Name", Summary: "x"},
		{Name: "nosummary", Usage: "/nosummary <x>"},
		{Name: "grp", Summary: "群", Where: bot.GroupOnly},
		{Name: "rebind", Summary: "另一个平台自己的命令", Platform: "wechat"},
		{Name: "own", Summary: "Telegram 自己的命令", Platform: Name},
	}
	var got []string
	for _, c := range MenuCommands(specs, func(w bot.Where) bool { return w != bot.GroupOnly }) {
		got = append(got, c.Command+" "+c.Description)
	}
	want := []string{"checkin 签到", "checkin_open 发起签到", "nosummary /nosummary <x>", "own Telegram 自己的命令"}
	if !slices.Equal(got, want) {
		t.Fatalf("menu = %q, want %q", got, want)
	}
}
