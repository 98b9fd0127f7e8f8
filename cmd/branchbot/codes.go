package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/branchbot/branchbot/bot/exports"
	"github.com/branchbot/branchbot/commands/core"
)

// runRosterCodes issues one-time link codes for a unit's roster and writes
// them as a sheet to hand out: branchbot roster codes --unit 第一党支部.
func runRosterCodes(ctx context.Context, env *Env, args []string) error {
	fs, cfgPath := flags(env, "roster codes", " --unit UNIT [--all] [--out FILE]")
	unit := fs.String("unit", "", "the unit whose roster gets codes, with the units below it")
	all := fs.Bool("all", false, "also entries already linked (to verify links made before codes existed)")
	out := fs.String("out", "", "file to write: .txt (slips to print) or .csv (default: <exports.dir>/linkcodes-<unit>-<time>.txt)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *unit == "" {
		fs.Usage()
		return errors.New("roster codes needs --unit, e.g. branchbot roster codes --unit 第一党支部")
	}
	ext := strings.ToLower(filepath.Ext(*out))
	if *out != "" && ext != ".txt" && ext != ".csv" {
		return fmt.Errorf("--out %s: write .txt or .csv", *out)
	}
	app, err := Open(ctx, env, *cfgPath)
	if err != nil {
		return err
	}
	defer app.Close()
	units, now, loc := app.Engine.Units(), app.Engine.Now(), app.Engine.Location()
	u, ok := units.ByName(*unit)
	if !ok {
		return fmt.Errorf("roster codes: unknown unit %q", *unit)
	}
	entries, links, err := core.EntriesWithLinks(ctx, app.DB, units.Subtree(u.ID))
	if err != nil {
		return err
	}
	if !*all {
		entries = core.Unlinked(entries, links)
	}
	if len(entries) == 0 {
		return fmt.Errorf("roster codes: %s has no roster entry without a link (use --all to issue codes for linked ones too)", u.Name)
	}
	codes, err := core.IssueCodes(ctx, app.DB, rand.Reader, entries, "命令行", now, app.Config.Roster.Link.CodeTTL, nil)
	if err != nil {
		return err
	}
	path := *out
	if path == "" {
		path = filepath.Join(app.Config.Exports.Dir, fmt.Sprintf("linkcodes-%s-%s.txt", u.Name, now.In(loc).Format("20060102-1504")))
	}
	err = exports.Save(path, func(w io.Writer) error {
		return core.WriteCodeSheet(w, strings.EqualFold(filepath.Ext(path), ".csv"), u.Name, codes, units, now, loc)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %d link codes for %s to %s (valid until %s; earlier unused codes of these entries no longer work)\n",
		len(codes), u.Name, path, codes[0].ExpiresAt.In(loc).Format("2006-01-02 15:04"))
	return nil
}
