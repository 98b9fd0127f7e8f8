package exports

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// Save makes the folder 0700 and the file 0600, and leaves nothing behind
// when writing fails: not the file, not a temporary one.
func TestSave(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "exports")
	path := filepath.Join(dir, "a.csv")
	if err := Save(path, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{dir: DirMode, path: FileMode} {
		st, err := os.Stat(p)
		if err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: %v, %v; want mode %v", p, st.Mode().Perm(), err, want)
		}
	}
	boom := errors.New("boom")
	failed := filepath.Join(dir, "b.csv")
	if err := Save(failed, func(w io.Writer) error { io.WriteString(w, "half"); return boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if names, _ := os.ReadDir(dir); len(names) != 1 {
		t.Errorf("after a failed write the folder holds %v, want a.csv only", names)
	}
}

func TestFormatOf(t *testing.T) {
	for path, want := range map[string]string{"r.csv": "csv", "R.XLSX": "xlsx", "a.b/r.xlsx": "xlsx", "r.txt": "", "r": ""} {
		got, err := FormatOf(path, "xlsx", "csv")
		if got != want || (want == "") != errors.Is(err, ErrFormat) {
			t.Errorf("FormatOf(%q) = %q, %v; want %q", path, got, err, want)
		}
	}
}
