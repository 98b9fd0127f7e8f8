package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/exports"
	"github.com/branchbot/branchbot/commands/export"
)

// runExport writes a check-in session's or a relay's records to a
// spreadsheet: branchbot export checkin|relay --id N --format xlsx|csv --out FILE.
func runExport(ctx context.Context, env *Env, args []string) error {
	fs, cfgPath := flags(env, "export", " checkin|relay --id N [--format xlsx|csv] [--out FILE]")
	id := fs.Int64("id", 0, "the session's or relay's global id (总编号, given by /export in the chat; #N in a group is that group's number)")
	format := fs.String("format", "", "xlsx or csv (default: from --out's extension, else xlsx)")
	out := fs.String("out", "", "file to write, .xlsx or .csv (default: <exports.dir>/<kind>-<id>-<time>.<format>)")
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
	f, err := outFormat("export", *format, *out, "xlsx", "xlsx", "csv")
	if err != nil {
		return err
	}
	*format = f
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

// outFormat decides the format of a file a command writes: --format as
// given (one of formats), else the one --out's extension names, else def.
// A --format that disagrees with --out's extension, or an --out whose
// extension names no format, is refused before anything is written.
func outFormat(cmd, format, out, def string, formats ...string) (string, error) {
	if format != "" && !slices.Contains(formats, format) {
		return "", fmt.Errorf("%s: --format must be %s, not %q", cmd, strings.Join(formats, " or "), format)
	}
	if out == "" {
		return cmp.Or(format, def), nil
	}
	byExt, err := exports.FormatOf(out, formats...)
	if err != nil {
		return "", fmt.Errorf("%s: --out: %w", cmd, err)
	}
	if format != "" && format != byExt {
		return "", fmt.Errorf("%s: --format %s, but --out %s is a .%s file", cmd, format, out, byExt)
	}
	return byExt, nil
}
