package privfile_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/branchbot/branchbot/bot/privfile"
)

func mode(t *testing.T, p string) os.FileMode {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

func TestModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "exports")
	p := filepath.Join(dir, "a.csv")
	if err := privfile.Write(p, func(w io.Writer) error { _, err := w.Write([]byte("x")); return err }); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, p); m != 0o600 {
		t.Errorf("file mode %o", m)
	}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if m := mode(t, d); m != 0o700 {
			t.Errorf("folder %s mode %o", d, m)
		}
	}
	// A file that existed with a wider mode is narrowed when written again.
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := privfile.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if m := mode(t, p); m != 0o600 {
		t.Errorf("rewritten file mode %o", m)
	}
	// A failed write leaves nothing behind.
	bad := filepath.Join(dir, "b.csv")
	if err := privfile.Write(bad, func(io.Writer) error { return errors.New("boom") }); err == nil {
		t.Fatal("no error")
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("a failed write left %s", bad)
	}
	other := filepath.Join(dir, "c")
	os.WriteFile(other, nil, 0o666)
	if err := privfile.Tighten(other, filepath.Join(dir, "missing")); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, other); m != 0o600 {
		t.Errorf("tightened mode %o", m)
	}
}
