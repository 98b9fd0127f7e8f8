package broadcast_test

import (
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/broadcast"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/configs"
)

// noReview is the default config without review chains: notices go out
// at once.
func noReview(t *testing.T) *configs.Config {
	t.Helper()
	cfg, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	commandtest.NoReview(cfg)
	return cfg
}

func receiptFeatures(h *commandtest.Harness) []bot.Feature {
	return []bot.Feature{broadcast.New(h.Engine, h.DB, h.Config, nil)}
}

// TestReceipts: confirm=yes, 收到 in the group, and /broadcast status per
// unit, on a platform without buttons (the word) and on one with them.
func TestReceipts(t *testing.T) {
	commandtest.RunFiles(t, "testdata/receipts/word.txtar", commandtest.Options{Config: noReview(t), Features: receiptFeatures})
	commandtest.RunFiles(t, "testdata/receipts/button.txtar", commandtest.Options{Config: noReview(t), Features: receiptFeatures,
		Platform: "telegram", Caps: bot.Capabilities{Buttons: true, Edit: true, Mentions: true, CommandsOnly: true}})
}

// TestReceiptWindow: followup.receipt_window set to 36h, 收到 confirms
// for 36 hours after the notice and is ordinary chat after.
func TestReceiptWindow(t *testing.T) {
	cfg := noReview(t)
	cfg.Followup.ReceiptWindow = 36 * time.Hour
	commandtest.RunFiles(t, "testdata/receipts/window.txtar", commandtest.Options{Config: cfg, Features: receiptFeatures})
}
