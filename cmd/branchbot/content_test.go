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

// content import names a folder that is missing, a file given as a folder,
// and a folder without .md files, instead of saying only "no .md files".
func TestContentImportNamesTheFolder(t *testing.T) {
	cfgPath, dir := writeConfig(t, "")
	run := func(args ...string) error {
		var out, errb bytes.Buffer
		return Main(context.Background(), &Env{Stdout: &out, Stderr: &errb}, append([]string{"content", "import", "--config", cfgPath}, args...))
	}
	empty := t.TempDir()
	file := filepath.Join(dir, "a.md")
	os.WriteFile(file, []byte("x"), 0o644)
	for arg, want := range map[string]string{
		"/nonexistent": "folder /nonexistent does not exist",
		file:           file + " is a file, not a folder",
		empty:          "folder " + empty + " has no .md files",
	} {
		if err := run(arg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("content import %s: %v, want %q", arg, err, want)
		}
	}
}

// branchbot run imports study.content_dir when the library is empty, and
// says so in the log; with items in the library it imports nothing.
func TestRunImportsContentIntoAnEmptyLibrary(t *testing.T) {
	content, err := filepath.Abs(filepath.Join("..", "..", "configs", "content"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := writeConfig(t, "")
	b, _ := os.ReadFile(cfg)
	s := strings.Replace(string(b), "content_dir: configs/content", "content_dir: "+content, 1)
	s = strings.Replace(s, "log_level: warn", "log_level: info", 1)
	os.WriteFile(cfg, []byte(s), 0o644)

	out, errs, err := run(t, ":as 王老师\n/bind 第一党支部\n:as 张三\n/study\n", "run", "--config", cfg)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errs)
	}
	if !strings.Contains(out, "📚【") || !strings.Contains(out, "学完后请发送 /studied") {
		t.Errorf("/study after the first start:\n%s", out)
	}
	if !strings.Contains(errs, "imported study.content_dir") || !strings.Contains(errs, "items=5") {
		t.Errorf("the import is not logged:\n%s", errs)
	}
	_, errs, err = run(t, "", "run", "--config", cfg)
	if err != nil || strings.Contains(errs, "imported study.content_dir") {
		t.Errorf("the second start imported again: %v\n%s", err, errs)
	}
}
