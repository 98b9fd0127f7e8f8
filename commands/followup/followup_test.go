package followup_test

import (
	"testing"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands"
	"github.com/branchbot/branchbot/commands/broadcast"
	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/followup"
	"github.com/branchbot/branchbot/commands/relay"
	"github.com/branchbot/branchbot/configs"
)

// config is the default config with the test roster: ten members of
// 第一党支部 (周书记 and nine others) and two of 第二党支部.
func config(t testing.TB) *configs.Config {
	t.Helper()
	cfg, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Roster.SeedFile = "testdata/roster.csv"
	cfg.Roster.Link.Preset = nil
	commandtest.NoReview(cfg) // notices go out without review
	return cfg
}

func features(h *commandtest.Harness) []bot.Feature {
	return []bot.Feature{
		checkin.New(h.Engine, h.DB),
		relay.New(h.Engine, h.DB),
		broadcast.New(h.Engine, h.DB, h.Config, nil),
		followup.New(h.Engine, h.DB, commands.FollowupOptions(h.Config)),
	}
}

func TestTranscripts(t *testing.T) {
	commandtest.RunFiles(t, "testdata/*.txtar", commandtest.Options{
		Config: config(t), Features: features,
		Caps: bot.Capabilities{Private: true, Mentions: true},
	})
}
