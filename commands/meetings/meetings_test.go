package meetings_test

import (
	"testing"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/meetings"
	"github.com/branchbot/branchbot/configs"
)

func TestTranscripts(t *testing.T) {
	cfg, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	commandtest.RunFiles(t, "testdata/*.txtar", commandtest.Options{Config: cfg, Features: func(h *commandtest.Harness) []bot.Feature {
		return []bot.Feature{
			checkin.New(h.Engine, h.DB).WithMeetingTypes(h.Config.Meetings.Names()),
			meetings.New(h.Engine, h.DB, h.Config.Meetings.Types),
		}
	}})
}
