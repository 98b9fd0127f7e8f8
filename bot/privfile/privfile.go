// Package privfile creates the files and folders only the bot's own user
// may read: the database (phone numbers, the members behind anonymous
// tickets), exports, link-code sheets and session credentials. Files are
// created 0600 and folders 0700; a file written again is made 0600 if it
// was wider.
package privfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
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

// Create creates or truncates path for writing, readable by the bot's user
// only, creating its folder (0700) if needed.
func Create(path string) (*os.File, error) {
	if err := MkdirAll(filepath.Dir(path)); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, FileMode)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if err := f.Chmod(FileMode); err != nil { // it may have existed with a wider mode
		f.Close()
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return f, nil
}

// Write creates path (see Create) and fills it with write; a failed write
// leaves no file behind.
func Write(path string, write func(io.Writer) error) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
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
