package study_test

import (
	"context"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/calendar"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/study"
	"github.com/branchbot/branchbot/configs"
)

// testConfig is the default config with pushes (validated).
func testConfig(t testing.TB, pushes ...configs.PushConfig) *configs.Config {
	t.Helper()
	cfg, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Study.Pushes = pushes
	cfg.Exports.Dir = t.TempDir()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// harness starts the engine with the study feature and the example content
// of configs/content imported. setup, if set, adjusts each new feature (it
// is called again after a restart).
func harness(t testing.TB, cfg *configs.Config, start time.Time, setup func(*study.Feature)) (*commandtest.Harness, **study.Feature) {
	t.Helper()
	cal, err := calendar.New(calendar.Options{Location: commandtest.Shanghai})
	if err != nil {
		t.Fatal(err)
	}
	var cur *study.Feature
	h := commandtest.New(t, commandtest.Options{Config: cfg, Start: start, Features: func(h *commandtest.Harness) []bot.Feature {
		f := withContent(t, h, cal)
		if setup != nil {
			setup(f)
		}
		cur = f
		return []bot.Feature{f}
	}})
	return h, &cur
}

// withContent makes the study feature for h, with the example content of
// configs/content imported.
func withContent(t testing.TB, h *commandtest.Harness, cal *calendar.Calendar) *study.Feature {
	t.Helper()
	f, err := study.New(h.Engine, h.DB, h.Config, cal, nil)
	if err != nil {
		t.Fatal(err)
	}
	items, err := study.LoadDir(commandtest.RepoPath(t, "configs/content"), commandtest.Shanghai, unitsOf(t, h))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.DB.UpsertContent(context.Background(), items, h.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	return f
}

func unitsOf(t testing.TB, h *commandtest.Harness) *bot.UnitTree {
	us, err := h.DB.Units(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return bot.NewUnitTree(us)
}

func at(s string) time.Time {
	t, err := commandtest.ParseTime(s)
	if err != nil {
		panic(err)
	}
	return t
}
