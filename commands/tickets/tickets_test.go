package tickets_test

import (
	"log/slog"
	"testing"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/calendar"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/tickets"
	"github.com/branchbot/branchbot/configs"
)

// testConfig is the default config with a supervisor chat for escalations.
func testConfig(t testing.TB, edit func(*configs.SLAConfig)) *configs.Config {
	t.Helper()
	cfg, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.SLA.SupervisorChat = "校党委督办群"
	if edit != nil {
		edit(&cfg.SLA)
	}
	return cfg
}

func newCalendar(t testing.TB) *calendar.Calendar {
	t.Helper()
	cal, err := calendar.New(calendar.Options{Location: commandtest.Shanghai, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

// features builds the tickets feature with an optional assistant.
func features(a tickets.Assistant) func(h *commandtest.Harness) []bot.Feature {
	return func(h *commandtest.Harness) []bot.Feature {
		return []bot.Feature{tickets.New(h.Engine, h.DB, newCalendar(h.T), h.Config.SLA, a)}
	}
}

func TestTranscripts(t *testing.T) {
	commandtest.RunFiles(t, "testdata/tickets.txtar", commandtest.Options{
		Config: testConfig(t, nil), Features: features(nil), Caps: bot.Capabilities{Mentions: true},
	})
}

func TestTranscriptsWithPrivateMessages(t *testing.T) {
	commandtest.RunFiles(t, "testdata/private.txtar", commandtest.Options{
		Config: testConfig(t, nil), Features: features(nil), Caps: bot.Capabilities{Mentions: true, Private: true},
	})
}

// TestTrustTranscripts: anonymity in groups, closes without an answer and
// reopened tickets (issue 13), on a platform with private messages.
func TestTrustTranscripts(t *testing.T) {
	commandtest.RunFiles(t, "testdata/trust.txtar", commandtest.Options{
		Config: testConfig(t, nil), Features: features(nil), Caps: bot.Capabilities{Mentions: true, Private: true},
	})
}
