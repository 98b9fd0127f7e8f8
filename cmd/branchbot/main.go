// Command branchbot runs the bot and its maintenance tasks. It only wires
// packages together; see README.md for every subcommand and config key.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // China time without system tz data
)

// version is set with -ldflags "-X main.version=…".
var version = "dev"

// subcommand is one "branchbot <name>" command.
type subcommand struct {
	name    string // may contain a space: "roster import"
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

func subcommands() []subcommand {
	return []subcommand{
		{"run", "start the bot", runBot},
		{"migrate", "apply database migrations", runMigrate},
		{"backup", "copy the live database to FILE with SQLite's online backup", runBackup},
		{"roster import", "import a roster (.csv or .xlsx)", runRosterImport},
		{"roster codes", "issue one-time link codes for a unit's roster and write them as a sheet (--unit, --all, --out)", runRosterCodes},
		{"content import", "load study content (Markdown with a YAML header) from DIR", runContentImport},
		{"holidays", "print a year's days off and make-up working days", runHolidays},
		{"sla deadline", "print the answer deadline for a ticket filed at a time", runSLADeadline},
		{"report sla", "the monthly answer-time report of suggestions (--month, --format xlsx --out FILE)", runReportSLA},
		{"report meetings", "the 三会一课 record of a unit and the units below it for a year, as a workbook (--unit, --year, --out FILE)", runReportMeetings},
		{"export", "write a check-in or relay as a spreadsheet (xlsx or csv)", runExport},
		{"console passwd", "set the web console password of a staff member, secretary or admin (<工号>)", runConsolePasswd},
		{"stats", "print table sizes and row counts, and the running bot's caches and memory", runStats},
		{"vacuum", "rewrite the database file without its free pages (the bot must be stopped)", runVacuum},
		{"version", "print the version", runVersion},
	}
}

// Env is what every subcommand gets: its output streams.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	if err := Main(ctx, env, os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "branchbot:", oneLine(err))
		os.Exit(1)
	}
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

// Main runs one subcommand; it is main without the process around it.
func Main(ctx context.Context, env *Env, args []string) error {
	cmds := subcommands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stdout, cmds)
		if len(args) == 0 {
			return errors.New("no command given")
		}
		return nil
	}
	for _, c := range cmds {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			return c.run(ctx, env, args[len(words):])
		}
	}
	usage(env.Stderr, cmds)
	return fmt.Errorf("unknown command %q", strings.Join(args, " "))
}

func usage(w io.Writer, cmds []subcommand) {
	fmt.Fprintln(w, "usage: branchbot <command> [--config FILE] [options]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'branchbot <command> --help' for a command's options.")
}

// flags makes a flag set with --config for a subcommand.
func flags(env *Env, name, args string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("branchbot "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfg := fs.String("config", "configs/branchbot.yaml", "config file")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: branchbot %s [--config FILE]%s\n", name, args)
		fs.PrintDefaults()
	}
	return fs, cfg
}

// parseFlags parses args, allowing flags after positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
