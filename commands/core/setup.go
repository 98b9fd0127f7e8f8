package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/roster"
	"github.com/branchbot/branchbot/configs"
)

// Setup applies the configured organisation to the database: it creates or
// re-parents the configured units, when the roster is empty and a seed file
// is configured imports it, and links the identities of roster.link.preset
// that are not linked yet. It returns the unit tree.
func Setup(ctx context.Context, db SetupStore, cfg *configs.Config) (*bot.UnitTree, error) {
	tree, err := setupOrganisation(ctx, db, cfg)
	if err != nil {
		return tree, err
	}
	return tree, applyPresets(ctx, db, cfg.Roster.Link.Preset)
}

// applyPresets links each preset identity that has no link yet to its
// entry; an entry another identity of the platform holds is left alone, and
// a number not on the roster (any more) is skipped.
func applyPresets(ctx context.Context, db SetupStore, presets []string) error {
	for i, s := range presets {
		p, err := configs.ParsePreset(s)
		if err != nil {
			return fmt.Errorf("roster.link.preset[%d]: %w", i, err)
		}
		e, err := db.RosterByNumber(ctx, p.Number)
		if errors.Is(err, bot.ErrNotFound) {
			continue // not (or no longer) on the roster: nothing to link
		}
		if err != nil {
			return err
		}
		m, err := db.EnsureMember(ctx, p.Platform, p.UserID, p.UserID)
		if err != nil {
			return fmt.Errorf("roster.link.preset[%d]: %w", i, err)
		}
		if m.RosterID != 0 {
			continue
		}
		err = db.UpdateLinks(ctx, time.Now(), func(tx Tx) error { return tx.LinkMember(m.ID, e.ID, MethodPreset) })
		if err != nil && !errors.Is(err, ErrLinked) {
			return fmt.Errorf("roster.link.preset[%d]: %w", i, err)
		}
	}
	return nil
}

func setupOrganisation(ctx context.Context, db SetupStore, cfg *configs.Config) (*bot.UnitTree, error) {
	var defs []UnitDef
	cfg.WalkUnits(func(u configs.UnitConfig, parent string) {
		defs = append(defs, UnitDef{Name: u.Name, Parent: parent})
	})
	if err := db.SyncUnits(ctx, defs); err != nil {
		return nil, fmt.Errorf("units: %w", err)
	}
	us, err := db.Units(ctx)
	if err != nil {
		return nil, err
	}
	tree := bot.NewUnitTree(us)
	if cfg.Roster.SeedFile == "" {
		return tree, nil
	}
	n, err := db.RosterCount(ctx)
	if err != nil || n > 0 {
		return tree, err
	}
	var res roster.Result
	if _, serr := os.Stat(cfg.Roster.SeedFile); errors.Is(serr, os.ErrNotExist) {
		if cfg.Roster.SeedFile != configs.DemoRosterPath {
			return tree, fmt.Errorf("roster.seed_file: %s does not exist", cfg.Roster.SeedFile)
		}
		res, err = roster.ReadCSV(bytes.NewReader(configs.DemoRoster()), tree)
	} else {
		res, err = roster.ReadFile(cfg.Roster.SeedFile, tree)
	}
	if err != nil {
		return tree, fmt.Errorf("roster.seed_file: %w", err)
	}
	if err := res.Err(); err != nil {
		return tree, fmt.Errorf("roster.seed_file %s: %w", cfg.Roster.SeedFile, err)
	}
	if _, _, err := db.ImportRoster(ctx, res.Entries, bot.ShanghaiLocationNow()); err != nil {
		return tree, fmt.Errorf("roster.seed_file: %w", err)
	}
	return tree, nil
}
