package study_test

import (
	"testing"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/calendar"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/study"
	"github.com/branchbot/branchbot/configs"
)

func TestTranscripts(t *testing.T) {
	cfg := testConfig(t,
		configs.PushConfig{Name: "每日学习", Column: "理论学习", Units: []string{"计算机学院党委"}, Cron: "0 8 * * *", Rule: "workdays"},
		configs.PushConfig{Name: "中秋问候", Text: "中秋节快乐！", Units: []string{"校党委"}, Cron: "0 9 * * *", Rule: "lunar:08-15"},
		configs.PushConfig{Name: "资助政策", Item: "2026-11-policy-01", Text: "请各班转发：", Units: []string{"计算机学院"}, Cron: "30 12 * * 1-5", Rule: "every_day"},
	)
	cal, err := calendar.New(calendar.Options{Location: commandtest.Shanghai})
	if err != nil {
		t.Fatal(err)
	}
	commandtest.RunFiles(t, "testdata/*.txtar", commandtest.Options{Config: cfg, Features: func(h *commandtest.Harness) []bot.Feature {
		return []bot.Feature{withContent(t, h, cal)}
	}})
}

// TestTranscriptsEmptyLibrary runs with nothing imported.
func TestTranscriptsEmptyLibrary(t *testing.T) {
	cfg := testConfig(t)
	commandtest.RunFiles(t, "testdata/empty/*.txtar", commandtest.Options{Config: cfg, Features: func(h *commandtest.Harness) []bot.Feature {
		f, err := study.New(h.Engine, h.DB, h.Config, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return []bot.Feature{f}
	}})
}
