package checkin_test

import (
	"context"
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

func TestLeaveTranscripts(t *testing.T) {
	commandtest.RunFiles(t, "testdata/leave.txtar", commandtest.Options{Features: features})
}

// TestLeaveInExport: approved leave is 请假 in the export's status column,
// a make-up sign-in 补签 with who recorded it; a rejected request leaves the
// member absent.
func TestLeaveInExport(t *testing.T) {
	h := commandtest.New(t, commandtest.Options{Features: features})
	for _, l := range []string{":group 第一党支部", ":as 周书记", ":link T0007", "/bind 第一党支部", "/checkin open 主题党日 30m",
		":as 张三", ":link 2023001", "/请假 下午有课", ":as 王五", ":link 2023003", "/请假 在外实习",
		":as 周书记", "/准假 1", "/不准假 2 请按时参加", "/checkin close", "/补签 李四"} {
		if _, err := h.Do(l); err != nil {
			t.Fatal(err)
		}
	}
	tbl, _, err := export.Checkin(context.Background(), h.DB, h.Engine.Units(), h.Engine.Location(), 1, h.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, r := range tbl.Rows {
		status[r[0]] = r[4]
	}
	if status["张三"] != "请假" || status["王五"] != "缺席" || status["周书记"] != "已签到" || status["李四"] != "补签（周书记）" {
		t.Errorf("statuses %v", status)
	}
}
