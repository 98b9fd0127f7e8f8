// Package privfile keeps the database's files and folder to the bot's own
// user: they hold phone numbers and the members behind anonymous tickets.
// Folders are created 0700 and files narrowed to 0600 (exports, reports
// and code sheets are written by bot/exports with the same modes).
package privfile

import (
	"fmt"
	"os"
)

// Modes of what this package creates.
const (
	FileMode os.FileMode = 0o600
	DirMode  os.FileMode = 0o700
)

// MkdirAll creates dir and every missing parent with mode 0700. Folders that
// exist already are left as they are.
func MkdirAll(dir string) error {
	if dir == "" || dir == "." {
		return nil
	}
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return fmt.Errorf("create folder %s: %w", dir, err)
	}
	return nil
}

// Tighten makes the existing files among paths readable by the bot's user
// only (for files created before this rule, or by another program such as
// SQLite); missing files are skipped.
func Tighten(paths ...string) error {
	for _, p := range paths {
		st, err := os.Stat(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		if st.Mode().Perm()&^FileMode != 0 {
			if err := os.Chmod(p, FileMode); err != nil {
				return fmt.Errorf("restrict %s to its owner: %w", p, err)
			}
		}
	}
	return nil
}
