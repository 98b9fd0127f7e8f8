package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/branchbot/branchbot/bot/exports"
	"github.com/branchbot/branchbot/commands/meetings"
)

// runReportMeetings writes the 三会一课 台账 of a unit and the units below
// it for a year: branchbot report meetings --year 2026 --unit 第一党支部.
func runReportMeetings(ctx context.Context, env *Env, args []string) error {
	fs, cfgPath := flags(env, "report meetings", " --unit 单位 [--year 2026] [--format xlsx] [--out FILE.xlsx]")
	year := fs.Int("year", 0, "the year (default: this year)")
	unit := fs.String("unit", "", "the unit; its sub-units with meetings get sheets of their own")
	format := fs.String("format", "", "xlsx (the only format)")
	out := fs.String("out", "", "xlsx file to write (default: <exports.dir>/meetings-<unit>-<year>.xlsx)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		fs.Usage()
		return fmt.Errorf("report meetings: unexpected argument %q", pos[0])
	}
	if *unit == "" {
		return errors.New("report meetings: --unit is required")
	}
	if _, err := outFormat("report meetings", *format, *out, "xlsx", "xlsx"); err != nil {
		return err
	}
	app, err := Open(ctx, env, *cfgPath)
	if err != nil {
		return err
	}
	defer app.Close()
	units, loc, now := app.Engine.Units(), app.Engine.Location(), app.Engine.Now()
	u, ok := units.ByName(*unit)
	if !ok {
		return fmt.Errorf("report meetings: no unit %q", *unit)
	}
	if *year == 0 {
		*year = now.In(loc).Year()
	}
	ls, err := meetings.Ledger(ctx, app.DB, units, loc, u.ID, *year, now)
	if err != nil {
		return fmt.Errorf("report meetings: %w", err)
	}
	path := *out
	if path == "" {
		path = filepath.Join(app.Config.Exports.Dir, fmt.Sprintf("meetings-%s-%d.xlsx", u.Name, *year))
	}
	if err := exports.Save(path, func(w io.Writer) error { return meetings.WriteXLSX(ls, w) }); err != nil {
		return fmt.Errorf("report meetings: %w", err)
	}
	n := 0
	for _, l := range ls {
		n += len(l.Rows)
	}
	fmt.Fprintf(env.Stdout, "wrote %s (%d meetings, %d units)\n", path, n, len(ls))
	return nil
}
