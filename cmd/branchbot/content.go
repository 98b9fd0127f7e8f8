package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/branchbot/branchbot/commands/study"
)

// runContentImport loads the Markdown study content of a folder into the
// library: new files are added, known ones (by file name) updated.
func runContentImport(ctx context.Context, env *Env, args []string) error {
	fs, cfgPath := flags(env, "content import", " [DIR]")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		fs.Usage()
		return errors.New("content import takes at most one DIR (default study.content_dir)")
	}
	app, err := Open(ctx, env, *cfgPath)
	if err != nil {
		return err
	}
	defer app.Close()
	dir := app.Config.Study.ContentDir
	if len(pos) == 1 {
		dir = pos[0]
	}
	if dir == "" {
		return errors.New("content import: no DIR given and study.content_dir is empty")
	}
	items, err := study.LoadDir(dir, app.Config.Location(), app.Engine.Units())
	if err != nil {
		return fmt.Errorf("content import: %w", err)
	}
	added, updated, err := app.DB.UpsertContent(ctx, items, app.Engine.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "imported %s: %d added, %d updated\n", dir, added, updated)
	return nil
}
