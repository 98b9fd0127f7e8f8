package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/roster"
	"github.com/branchbot/branchbot/configs"
)

// Setup applies the configured organisation to the database: it creates or
// re-parents the configured units and, when the roster is empty and a seed
// file is configured, imports it. It returns the unit tree.
func Setup(ctx context.Context, db SetupStore, cfg *configs.Config) (*bot.UnitTree, error) {
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
