package core_test

import (
	"context"
	"testing"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/commandtest"
)

// boom is a feature whose handler panics, to check the engine survives it.
type boom struct{}

func (boom) Name() string { return "boom" }
func (boom) Commands() []bot.CommandSpec {
	return []bot.CommandSpec{{Name: "boom", Aliases: []string{"爆炸"}, Summary: "测试用：处理时崩溃", Usage: "/boom",
		Handler: func(ctx context.Context, r *bot.Request) error { panic("boom") }}}
}

func TestTranscripts(t *testing.T) {
	commandtest.RunFiles(t, "testdata/*.txtar", commandtest.Options{
		Features: func(h *commandtest.Harness) []bot.Feature { return []bot.Feature{boom{}} },
	})
}
