package study_test

import (
	"strings"
	"testing"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/study"
)

func TestParseContent(t *testing.T) {
	units := bot.NewUnitTree([]bot.Unit{{ID: 1, Name: "校党委"}, {ID: 2, Name: "第一党支部", ParentID: 1}})
	good := "---\ncolumn: 理论学习\ntitle: 党章 🇨🇳\nsummary: 摘要\ntags: [党章]\npublished: 2026-11-16T08:00\nunits: [校党委]\n---\n正文\n"
	it, err := study.ParseContent("a", []byte(good), commandtest.Shanghai, units)
	if err != nil {
		t.Fatal(err)
	}
	if it.Column != "理论学习" || it.Title != "党章 🇨🇳" || it.Body != "正文" || it.PublishedAt.Format("2006-01-02 15:04") != "2026-11-16 08:00" || len(it.Units) != 1 {
		t.Errorf("parsed %+v", it)
	}
	if !study.Visible(it, 2, units) || study.Visible(it, 0, units) {
		t.Error("an item for 校党委 must be visible in its subtree only")
	}
	for _, tt := range []struct{ text, want string }{
		{"column: x\n", "YAML header"},
		{"---\ncolumn: x\ntitle: y\npublished: 2026-11-16\n", "closing ---"},
		{"---\ntitle: y\npublished: 2026-11-16\n---\nbody", "column"},
		{"---\ncolumn: x\npublished: 2026-11-16\n---\nbody", "title"},
		{"---\ncolumn: x\ntitle: y\npublished: 2026-11-16\n---\n", "link or a body"},
		{"---\ncolumn: x\ntitle: y\npublished: 16/11/2026\n---\nbody", "published"},
		{"---\ncolumn: x\ntitle: y\npublished: 2026-11-16\nlink: ftp://x\n---\n", "link must start"},
		{"---\ncolumn: x\ntitle: y\npublished: 2026-11-16\nunits: [火星支部]\n---\nbody", `unknown unit "火星支部"`},
		{"---\ncolumn: x\ntitle: y\npublished: 2026-11-16\ncolum: z\n---\nbody", "colum"},
		{"\xff\xfe", "UTF-8"},
	} {
		if _, err := study.ParseContent("a", []byte(tt.text), commandtest.Shanghai, units); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.text, err, tt.want)
		}
	}
}
