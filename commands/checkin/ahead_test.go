package checkin_test

import (
	"testing"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/export"
)

// TestLeaveAheadTranscripts: leave asked before the meeting is opened
// (ahead.go), with the configured meeting types.
func TestLeaveAheadTranscripts(t *testing.T) {
	commandtest.RunFiles(t, "testdata/ahead.txtar", commandtest.Options{Features: func(h *commandtest.Harness) []bot.Feature {
		if t, ok := h.T.(*testing.T); ok {
			t.Chdir(h.Dir)
		}
		return []bot.Feature{checkin.New(h.Engine, h.DB).WithMeetingTypes(h.Config.Meetings.Names()), export.New(h.Engine, h.DB, "exports")}
	}})
}
