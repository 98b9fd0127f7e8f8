package checkin_test

import (
	"testing"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/export"
)

// features runs in the harness's folder so that export paths in the
// transcripts are the same on every run.
func features(h *commandtest.Harness) []bot.Feature {
	if t, ok := h.T.(*testing.T); ok {
		t.Chdir(h.Dir)
	}
	return []bot.Feature{checkin.New(h.Engine, h.DB), export.New(h.Engine, h.DB, "exports")}
}

func TestTranscripts(t *testing.T) {
	commandtest.RunFiles(t, "testdata/checkin.txtar", commandtest.Options{Features: features})
	commandtest.RunFiles(t, "testdata/phones.txtar", commandtest.Options{Features: features})
}

func TestTranscriptsButtons(t *testing.T) {
	commandtest.RunFiles(t, "testdata/buttons.txtar", commandtest.Options{Features: features,
		Platform: "telegram", Caps: bot.Capabilities{Buttons: true, Edit: true, Mentions: true, CommandsOnly: true}})
}
