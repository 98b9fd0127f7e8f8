package study_test

import (
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/study"
)

// FuzzParseContent: any content file is read or refused with the reason,
// never a panic; what is read has its required fields.
func FuzzParseContent(f *testing.F) {
	f.Add("a", []byte("---\ncolumn: 理论学习\ntitle: 党章\nlink: https://www.12371.cn/\npublished: 2026-11-16T08:00\nunits: [一支部]\ntags: [党章]\n---\n正文"))
	f.Add("b", []byte("---\ncolumn: x\ntitle: y\n---\n"))
	f.Add("c", []byte("---\r\ncolumn: x\r\ntitle: y\r\npublished: 2026-13-01\r\n---\r\nbody"))
	f.Add("d", []byte("---\ncolumn: [a\n---\n"))
	f.Add("e", []byte("---\nunknown: 1\n---\n"))
	units := bot.NewUnitTree([]bot.Unit{{ID: 1, Name: "一支部"}})
	loc := time.FixedZone("CST", 8*3600)
	f.Fuzz(func(t *testing.T, slug string, data []byte) {
		it, err := study.ParseContent(slug, data, loc, units)
		if err != nil {
			return
		}
		if it.Title == "" || it.Column == "" {
			t.Fatalf("accepted an item without title or column: %+v", it)
		}
	})
}
