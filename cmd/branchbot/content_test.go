package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// branchbot content import loads the example content, updates it on a
// second run, and refuses a folder with a bad file without importing any.
func TestContentImport(t *testing.T) {
	cfgPath, _ := writeConfig(t, "")
	run := func(args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := Main(context.Background(), &Env{Stdout: &out, Stderr: &errb}, append([]string{"content", "import", "--config", cfgPath}, args...))
		return out.String(), err
	}
	content := filepath.Join("..", "..", "configs", "content")
	if out, err := run(content); err != nil || !strings.Contains(out, "5 added, 0 updated") {
		t.Fatalf("first import: %q, %v", out, err)
	}
	if out, err := run(content); err != nil || !strings.Contains(out, "0 added, 5 updated") {
		t.Fatalf("second import: %q, %v", out, err)
	}
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "a.md"), []byte("---\ncolumn: x\ntitle: ok\npublished: 2026-01-01\n---\nbody\n"), 0o644)
	os.WriteFile(filepath.Join(bad, "b.md"), []byte("---\ntitle: no column\npublished: 2026-01-01\n---\nbody\n"), 0o644)
	if _, err := run(bad); err == nil || !strings.Contains(err.Error(), "b.md: header: column") {
		t.Fatalf("bad folder: %v", err)
	}
	if out, err := run(content); err != nil || !strings.Contains(out, "0 added, 5 updated") {
		t.Fatalf("the bad folder must import nothing: %q, %v", out, err)
	}
}
