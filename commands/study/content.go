package study

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/branchbot/branchbot/bot"
)

// header is the YAML header of a content file.
type header struct {
	Column    string   `yaml:"column"`
	Title     string   `yaml:"title"`
	Summary   string   `yaml:"summary"`
	Link      string   `yaml:"link"`
	Tags      []string `yaml:"tags"`
	Units     []string `yaml:"units"`
	Published string   `yaml:"published"` // 2026-11-20 or 2026-11-20T08:00
}

// ParseContent reads one Markdown file with a YAML header between "---"
// lines. slug is the item's key (the file name without .md).
func ParseContent(slug string, data []byte, loc *time.Location, units *bot.UnitTree) (Item, error) {
	var it Item
	if !utf8.Valid(data) {
		return it, fmt.Errorf("not UTF-8 text")
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	rest, ok := strings.CutPrefix(text, "---\n")
	if !ok {
		return it, fmt.Errorf("must start with a YAML header between --- lines")
	}
	head, body, ok := strings.Cut(rest, "\n---")
	if !ok {
		return it, fmt.Errorf("YAML header has no closing ---")
	}
	body = strings.TrimPrefix(body, "\n")
	var h header
	dec := yaml.NewDecoder(bytes.NewReader([]byte(head)))
	dec.KnownFields(true)
	if err := dec.Decode(&h); err != nil {
		return it, fmt.Errorf("header: %v", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	h.Column, h.Title = strings.TrimSpace(h.Column), strings.TrimSpace(h.Title)
	switch {
	case h.Column == "":
		return it, fmt.Errorf("header: column (栏目) is required")
	case h.Title == "":
		return it, fmt.Errorf("header: title is required")
	case h.Link == "" && strings.TrimSpace(body) == "":
		return it, fmt.Errorf("needs a link or a body")
	case h.Published == "":
		return it, fmt.Errorf("header: published is required (2026-11-20 or 2026-11-20T08:00)")
	}
	if h.Link != "" && !strings.HasPrefix(h.Link, "https://") && !strings.HasPrefix(h.Link, "http://") {
		return it, fmt.Errorf("header: link must start with http:// or https://")
	}
	pub, err := time.ParseInLocation("2006-01-02T15:04", h.Published, loc)
	if err != nil {
		pub, err = time.ParseInLocation("2006-01-02", h.Published, loc)
	}
	if err != nil {
		return it, fmt.Errorf("header: published %q: use 2026-11-20 or 2026-11-20T08:00", h.Published)
	}
	for i, u := range h.Units {
		if _, ok := units.ByName(u); !ok {
			return it, fmt.Errorf("header: units[%d]: unknown unit %q", i, u)
		}
	}
	for i, t := range h.Tags {
		h.Tags[i] = strings.TrimSpace(strings.ReplaceAll(t, ",", " "))
	}
	return Item{Slug: slug, Column: h.Column, Title: h.Title, Summary: strings.TrimSpace(h.Summary), Link: h.Link,
		Body: strings.TrimSpace(body), Tags: h.Tags, Units: h.Units, PublishedAt: pub}, nil
}

// ErrNoContent is wrapped by LoadDir's error for a folder that is missing
// or holds no .md file.
var ErrNoContent = errors.New("no study content")

// LoadDir parses every *.md file in dir (not recursively), in name order.
// Errors name the file; nothing is returned if any file is bad. A folder
// that does not exist, is not a folder, or has no .md file is an error
// that says which (wrapping ErrNoContent).
func LoadDir(dir string, loc *time.Location, units *bot.UnitTree) ([]Item, error) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: folder %s does not exist", ErrNoContent, dir)
	case err != nil:
		return nil, fmt.Errorf("content folder: %w", err)
	case !st.IsDir():
		return nil, fmt.Errorf("%w: %s is a file, not a folder of .md files", ErrNoContent, dir)
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: folder %s has no .md files (one Markdown file with a YAML header per item; see README, Study content)", ErrNoContent, dir)
	}
	sort.Strings(names)
	var items []Item
	var errs []string
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		it, err := ParseContent(strings.TrimSuffix(filepath.Base(n), ".md"), b, loc, units)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", n, err))
			continue
		}
		items = append(items, it)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return items, nil
}

// visible reports whether an item is for a unit: it names no units, or one
// of the unit's ancestors or the unit itself.
func visible(it Item, unitID int64, units *bot.UnitTree) bool {
	if len(it.Units) == 0 {
		return true
	}
	for _, n := range it.Units {
		if u, ok := units.ByName(n); ok && unitID != 0 && units.Contains(u.ID, unitID) {
			return true
		}
	}
	return false
}

// Library is what loading content into the library needs; *storage.DB
// satisfies it.
type Library interface {
	// ContentColumns lists the columns that have items (none: the
	// library is empty).
	ContentColumns(ctx context.Context) ([]string, error)
	// UpsertContent adds new items and updates known ones by slug.
	UpsertContent(ctx context.Context, items []Item, now time.Time) (added, updated int, err error)
}

// SeedContent fills an empty library from dir (study.content_dir) when the
// bot starts, so that a new installation has something to study at once.
// It leaves a library with items alone, and logs what it did or why it did
// nothing; a bad file is logged and imports nothing, without stopping the
// start. It returns how many items it added.
func SeedContent(ctx context.Context, lib Library, dir string, loc *time.Location, units *bot.UnitTree, now time.Time, log *slog.Logger) (int, error) {
	cols, err := lib.ContentColumns(ctx)
	if err != nil {
		return 0, fmt.Errorf("seed study content: %w", err)
	}
	if len(cols) > 0 || dir == "" {
		return 0, nil
	}
	items, err := LoadDir(dir, loc, units)
	if errors.Is(err, ErrNoContent) {
		log.Info("study content library is empty; nothing to import at start", "content_dir", dir, "reason", err)
		return 0, nil
	}
	if err != nil {
		log.Error("study content library is empty; study.content_dir not imported", "content_dir", dir, "err", err)
		return 0, nil
	}
	added, _, err := lib.UpsertContent(ctx, items, now)
	if err != nil {
		return 0, fmt.Errorf("seed study content from %s: %w", dir, err)
	}
	log.Info("study content library was empty; imported study.content_dir", "content_dir", dir, "items", added)
	return added, nil
}
