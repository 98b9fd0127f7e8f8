package privfile_test

import (
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
	dir := filepath.Join(t.TempDir(), "data", "db")
	if err := privfile.MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if m := mode(t, d); m != 0o700 {
			t.Errorf("folder %s mode %o", d, m)
		}
	}
	wide := filepath.Join(dir, "c")
	os.WriteFile(wide, nil, 0o666)
	os.Chmod(wide, 0o644)
	if err := privfile.Tighten(wide, filepath.Join(dir, "missing")); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, wide); m != 0o600 {
		t.Errorf("tightened mode %o", m)
	}
}
