package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/export"
)

// runExport writes a check-in session's or a relay's records to a
// spreadsheet: branchbot export checkin|relay --id N --format xlsx|csv --out FILE.
func runExport(ctx context.Context, env *Env, args []string) error {
	fs, cfgPath := flags(env, "export", " checkin|relay --id N [--format xlsx|csv] [--out FILE]")
	id := fs.Int64("id", 0, "the session's or relay's global id (总编号, given by /export in the chat; #N in a group is that group's number)")
	format := fs.String("format", "xlsx", "xlsx or csv")
	out := fs.String("out", "", "file to write (default: <exports.dir>/<kind>-<id>-<time>.<format>)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (pos[0] != "checkin" && pos[0] != "relay") {
		fs.Usage()
		return errors.New("export needs checkin or relay")
	}
	if *id <= 0 {
		return errors.New("export needs --id N (the global id, 总编号, that /export in the chat gives)")
	}
	if *format != "xlsx" && *format != "csv" {
		return fmt.Errorf("--format must be xlsx or csv, not %q", *format)
	}
	app, err := Open(ctx, env, *cfgPath)
	if err != nil {
		return err
	}
	defer app.Close()
	units, loc := app.Engine.Units(), app.Engine.Location()
	var t export.Table
	if pos[0] == "checkin" {
		t, _, err = export.Checkin(ctx, app.DB, units, loc, *id, app.Engine.Now())
	} else {
		t, _, err = export.Relay(ctx, app.DB, units, loc, *id)
	}
	if errors.Is(err, bot.ErrNotFound) {
		return fmt.Errorf("no %s with id %d", pos[0], *id)
	}
	if err != nil {
		return err
	}
	path := *out
	if path == "" {
		path = filepath.Join(app.Config.Exports.Dir, export.FileName(pos[0], *id, *format, app.Engine.Now()))
	}
	if err := export.Write(t, *format, path); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %d rows of %s %d to %s\n", len(t.Rows), pos[0], *id, path)
	return nil
}
