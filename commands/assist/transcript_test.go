package assist_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/telegram"
	"github.com/branchbot/branchbot/bot/telegram/telegramtest"
	"github.com/branchbot/branchbot/commands/assist"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/configs"
)

func features(t *testing.T) func(h *commandtest.Harness) []bot.Feature {
	return func(h *commandtest.Harness) []bot.Feature {
		ai, err := assist.New(h.Config.LLM, h.DB, h.Engine.Logger(), h.Engine.Now)
		if err != nil {
			t.Fatal(err)
		}
		return []bot.Feature{assist.NewFeature(h.Engine, h.DB, ai)}
	}
}

// TestTranscripts runs /retain and /summary against a fake model server
// (daily budget 3 per harness), then checks that no request carried a name,
// 学号/工号, phone number or display name.
func TestTranscripts(t *testing.T) {
	fake := newFakeOpenAI(t, summaryReply)
	cfg, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.LLM = configs.LLMConfig{BaseURL: fake.URL(), APIKey: fakeKey, Model: "test-model", Timeout: 5 * time.Second, DailyBudget: 3}
	commandtest.RunFiles(t, "testdata/*.txtar", commandtest.Options{Config: cfg, Features: features(t)})

	bodies := fake.Bodies()
	if len(bodies) < 3 {
		t.Fatalf("the transcripts sent only %d requests", len(bodies))
	}
	// Display names used in the transcripts that are not in the roster, and
	// the numbers typed there.
	secrets := append(rosterSecrets(t), "小明同学", "Lucy", "13812345678", "139-8765-4321")
	for _, body := range bodies {
		var req openai.ChatCompletionRequest
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if strings.Contains(body, s) || strings.Contains(req.Messages[1].Content, s) {
				t.Errorf("a request contains %q:\n%s", s, req.Messages[1].Content)
			}
		}
	}
}

// TestDisabledTranscripts runs the commands with the shipped config, where
// the model features are off.
func TestDisabledTranscripts(t *testing.T) {
	commandtest.RunFiles(t, "testdata/disabled/*.txtar", commandtest.Options{Features: features(t)})
}

// TestCommandsOnlyTranscripts runs /retain with the capabilities the
// Telegram adapter declares (the adapter made against a fake Bot API
// server), where the bot sees only commands in groups.
func TestCommandsOnlyTranscripts(t *testing.T) {
	srv := telegramtest.New(t, telegramtest.Options{})
	tg, err := telegram.New(context.Background(), telegram.Options{Token: srv.Token, APIURL: srv.URL,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	fake := newFakeOpenAI(t, summaryReply)
	cfg, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.LLM = configs.LLMConfig{BaseURL: fake.URL(), APIKey: fakeKey, Model: "test-model", Timeout: 5 * time.Second, DailyBudget: 3}
	commandtest.RunFiles(t, "testdata/telegram/*.txtar", commandtest.Options{
		Config: cfg, Features: features(t), Platform: telegram.Name, Caps: tg.Capabilities(),
	})
}
