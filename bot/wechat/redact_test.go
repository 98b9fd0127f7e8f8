package wechat_test

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/redact"
	"github.com/branchbot/branchbot/bot/wechat/wechattest"
)

// In a network outage the library's errors quote whole request URLs with the
// session's sid, skey, uin, deviceid, synckey and pass_ticket. None of them
// reaches the log (through the redacting handler the program uses) or the
// error stored with a message whose send failed.
func TestOutageLeaksNoCredentials(t *testing.T) {
	srv := newServer(t, wechattest.Options{})
	logs := &syncBuffer{}
	log := slog.New(redact.New().Handler(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	r := start(t, srv, t.TempDir(), rigOptions{logger: log})
	r.scan()
	chat := r.groupChat()
	ctx := context.Background()

	srv.Outage(true)
	id, err := r.eng.Send(ctx, bot.Outgoing{ChatID: chat.ID, Text: "明天上午九点开会"})
	if err != nil {
		t.Fatal(err)
	}
	var stored string
	ok := wechattest.WaitFor(10*time.Second, func() bool {
		m, err := r.db.OutboxMessage(ctx, id)
		if err != nil {
			return false
		}
		stored = m.LastError
		return stored != "" && strings.Count(logs.String(), "network is unreachable") >= 3
	})
	srv.Outage(false)
	if !ok {
		t.Fatalf("the outage left no stored error or too few log lines; stored %q, log:\n%s", stored, logs.String())
	}
	out := logs.String()
	for _, secret := range srv.Credentials() {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds the credential %q", secret)
		}
		if strings.Contains(stored, secret) {
			t.Errorf("the stored error holds the credential %q: %s", secret, stored)
		}
	}
	if m := regexp.MustCompile(`(?i)(synckey|sid|skey|uin|deviceid|pass_ticket)=[^*&\s"]`).FindString(out + stored); m != "" {
		t.Errorf("an unmasked credential parameter: %q", m)
	}
	// The errors were there, with their URLs masked.
	if !strings.Contains(out, "=***") {
		t.Errorf("no masked URL in the log; was there an outage?\n%s", out)
	}
	t.Logf("%d log lines during the outage; stored error: %s", strings.Count(out, "\n"), stored)
}
