package followup_test

import (
	"context"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/study"
	"github.com/branchbot/branchbot/configs"
)

// studyConfig is config with one push: the item 党章第一章：党员 to the
// groups of 计算机学院党委 and below, at 10:00 on Monday 2026-11-23,
// due 36 hours later (Tuesday 22:00: its -24h round falls in the quiet hours).
func studyConfig(t testing.TB) *configs.Config {
	t.Helper()
	cfg := config(t)
	cfg.Exports.Dir = t.TempDir()
	cfg.Study.Pushes = []configs.PushConfig{{Name: "党章学习", Item: "党章第一章：党员", Units: []string{"计算机学院党委"},
		Cron: "0 10 23 11 *", Due: 36 * time.Hour}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// withStudy adds the study feature, with the example content of
// configs/content imported, to the follow-up's features.
func withStudy(h *commandtest.Harness) []bot.Feature {
	f, err := study.New(h.Engine, h.DB, h.Config, nil, nil)
	if err != nil {
		h.T.Fatal(err)
	}
	us, err := h.DB.Units(context.Background())
	if err != nil {
		h.T.Fatal(err)
	}
	items, err := study.LoadDir(commandtest.RepoPath(h.T, "configs/content"), commandtest.Shanghai, bot.NewUnitTree(us))
	if err != nil {
		h.T.Fatal(err)
	}
	if _, _, err := h.DB.UpsertContent(context.Background(), items, h.Clock.Now()); err != nil {
		h.T.Fatal(err)
	}
	return append(features(h), f)
}

// TestStudyTranscripts: study items pushed to a group are follow-up tasks.
func TestStudyTranscripts(t *testing.T) {
	commandtest.RunFiles(t, "testdata/study/*.txtar", commandtest.Options{
		Config: studyConfig(t), Features: withStudy,
		Caps: bot.Capabilities{Private: true, Mentions: true},
	})
}
