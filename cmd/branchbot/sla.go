package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/branchbot/branchbot/bot/exports"
	"github.com/branchbot/branchbot/commands/tickets"
)

// runReportSLA prints or writes the monthly SLA report of suggestion tickets.
func runReportSLA(ctx context.Context, env *Env, args []string) error {
	fs, cfgPath := flags(env, "report sla", " --month 2026-11 [--format text|xlsx] [--out FILE.xlsx]")
	month := fs.String("month", "", "the month, e.g. 2026-11 (default: this month)")
	format := fs.String("format", "", "text or xlsx (default: xlsx with --out, else text)")
	out := fs.String("out", "", "xlsx file to write (default with --format xlsx: <exports.dir>/sla-<month>.xlsx)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		fs.Usage()
		return fmt.Errorf("report sla: unexpected argument %q", pos[0])
	}
	switch {
	case *format == "text" && *out != "":
		return errors.New("report sla: --out writes a spreadsheet; drop --format text (the text is printed), or use --format xlsx")
	case *format == "text":
	default:
		f, err := outFormat("report sla", *format, *out, "text", "xlsx")
		if err != nil {
			return err
		}
		*format = f
	}
	app, err := Open(ctx, env, *cfgPath)
	if err != nil {
		return err
	}
	defer app.Close()
	now := app.Engine.Now()
	if *month == "" {
		*month = now.Format("2006-01")
	}
	from, to, err := app.Calendar.ParseMonth(*month)
	if err != nil {
		return fmt.Errorf("report sla: --month: %w", err)
	}
	rep, err := tickets.BuildReport(ctx, app.DB, app.Calendar, app.Engine.Units(), from, to, now)
	if err != nil {
		return err
	}
	if *format == "text" {
		_, err := fmt.Fprintln(env.Stdout, rep.Text())
		return err
	}
	path := *out
	if path == "" {
		path = filepath.Join(app.Config.Exports.Dir, "sla-"+from.Format("2006-01")+".xlsx")
	}
	if err := exports.Save(path, rep.WriteXLSX); err != nil {
		return fmt.Errorf("report sla: %w", err)
	}
	fmt.Fprintf(env.Stdout, "wrote %s (%d tickets)\n", path, len(rep.Tickets))
	return nil
}
