package telegram_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/redact"
	"github.com/branchbot/branchbot/bot/telegram"
	"github.com/branchbot/branchbot/commands/commandtest"
)

// When the Bot API cannot be reached the client's errors quote the request
// URL, whose path holds the bot token. The token reaches neither the log
// (through the redacting handler the program uses, given the configured
// token) nor the error stored with a message whose send failed.
func TestOutageLeaksNoToken(t *testing.T) {
	const token = "123456:TEST-token" // telegramtest's default
	logs := &commandtest.SyncBuffer{}
	log := slog.New(redact.New(token).Handler(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	e := start(t, envOptions{logger: log})
	ctx := context.Background()
	chat, err := e.db.EnsureChat(ctx, telegram.Name, "-1001", bot.Group, "第一党支部")
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Close() // the network is gone
	id, err := e.eng.Send(ctx, bot.Outgoing{ChatID: chat.ID, Text: "明天上午九点开会"})
	if err != nil {
		t.Fatal(err)
	}
	var stored string
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		m, err := e.db.OutboxMessage(ctx, id)
		if err == nil && m.LastError != "" && strings.Contains(logs.String(), "/bot***/") {
			stored = m.LastError
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	out := logs.String()
	if stored == "" {
		t.Fatalf("no stored error after the outage; log:\n%s", out)
	}
	for _, leak := range []string{token, "TEST-token"} {
		if strings.Contains(out, leak) || strings.Contains(stored, leak) {
			t.Errorf("the token %q leaked; stored %q, log:\n%s", leak, stored, out)
		}
	}
	t.Logf("stored error: %s", stored)
}
