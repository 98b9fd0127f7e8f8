// Package commands assembles branchbot's features: every feature package is
// registered here, one line each, and nowhere else.
package commands

import (
	"log/slog"
	"path/filepath"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/calendar"
	"github.com/branchbot/branchbot/commands/assist"
	"github.com/branchbot/branchbot/commands/broadcast"
	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/commands/consolelink"
	"github.com/branchbot/branchbot/commands/core"
	"github.com/branchbot/branchbot/commands/export"
	"github.com/branchbot/branchbot/commands/followup"
	"github.com/branchbot/branchbot/commands/meetings"
	"github.com/branchbot/branchbot/commands/relay"
	"github.com/branchbot/branchbot/commands/study"
	"github.com/branchbot/branchbot/commands/tickets"
	"github.com/branchbot/branchbot/configs"
	"github.com/branchbot/branchbot/storage"
)

// Deps is what features may be built from.
type Deps struct {
	Engine   *bot.Engine
	DB       *storage.DB
	Config   *configs.Config
	Calendar *calendar.Calendar
	Log      *slog.Logger
}

// Features builds every feature, in the order /help lists them.
func Features(d Deps) ([]bot.Feature, error) {
	// The model assistant (disabled unless llm is configured); the tickets
	// feature takes the same value for routing and drafts.
	ai, err := assist.New(d.Config.LLM, d.DB, d.Log, d.Engine.Now)
	if err != nil {
		return nil, err
	}
	var helper tickets.Assistant // a nil interface when the model is off
	if ai.Enabled() {
		helper = ai
	}
	st, err := study.New(d.Engine, d.DB, d.Config, d.Calendar, d.Log)
	if err != nil {
		return nil, err
	}
	return []bot.Feature{
		core.New(d.Engine, d.DB, core.Options{Link: d.Config.Roster.Link}),
		checkin.New(d.Engine, d.DB).WithMeetingTypes(d.Config.Meetings.Names()).WithMeetingTitles(d.Config.Meetings.TitlesByType()).
			WithPhotoDir(MinutesPhotoDir(d.Config)),
		relay.New(d.Engine, d.DB),
		st,
		broadcast.New(d.Engine, d.DB, d.Config, d.Log),
		tickets.New(d.Engine, d.DB, d.Calendar, d.Config.SLA, helper),
		assist.NewFeature(d.Engine, d.DB, ai),
		export.New(d.Engine, d.DB, d.Config.Exports.Dir),
		followup.New(d.Engine, d.DB, FollowupOptions(d.Config)),
		meetings.New(d.Engine, d.DB, d.Config.Meetings),
		consolelink.New(d.Engine, d.DB, consoleBaseURL(d.Config.Console)),
	}, nil
}

// Register builds every feature and registers it with the engine. It
// returns them, for the web console, which calls their operations.
func Register(d Deps) ([]bot.Feature, error) {
	fs, err := Features(d)
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		if err := d.Engine.Register(f); err != nil {
			return nil, err
		}
	}
	return fs, nil
}

// FollowupOptions are the follow-up feature's options from its config.
func FollowupOptions(cfg *configs.Config) followup.Options {
	c := cfg.Followup
	start, end := c.QuietHours()
	return followup.Options{
		Offsets: map[followup.Kind][]time.Duration{followup.KindRelay: c.Offsets.Relay, followup.KindCheckin: c.Offsets.Checkin,
			followup.KindStudy: c.Offsets.Study},
		Quiet:         followup.Quiet{Start: start, End: end},
		Chunk:         c.MentionChunk,
		FlagAfter:     c.Flag(),
		ReceiptWindow: c.ReceiptWindow,
		RemindEvery:   c.RemindInterval(),
		ExportDir:     cfg.Exports.Dir,
	}
}

// consoleBaseURL is where password links point: console.base_url, or ""
// when the console is off (/console then says so).
func consoleBaseURL(c configs.ConsoleConfig) string {
	if !c.Enabled {
		return ""
	}
	return c.BaseURL
}

// MinutesPhotoDir is where photos of meeting minutes are kept:
// <data_dir>/minutes.
func MinutesPhotoDir(c *configs.Config) string {
	return filepath.Join(c.DataDir, "minutes")
}
