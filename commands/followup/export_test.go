package followup_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/commandtest"
)

// inDir runs the features in the harness's folder, so that the export
// paths in the transcripts are the same on every run.
func inDir(h *commandtest.Harness) []bot.Feature {
	if t, ok := h.T.(*testing.T); ok {
		t.Chdir(h.Dir)
	}
	return features(h)
}

// exportTranscripts runs transcripts with spreadsheets written to exports/
// in the harness's folder.
func exportTranscripts(t *testing.T, pattern string, caps bot.Capabilities) {
	cfg := config(t)
	cfg.Exports.Dir = "exports"
	commandtest.RunFiles(t, pattern, commandtest.Options{Config: cfg, Features: inDir, Caps: caps})
}

// TestExportTranscripts: /progress … 导出 sends the spreadsheet to the
// secretary's private chat where the platform takes files, and says why
// not where it does not.
func TestExportTranscripts(t *testing.T) {
	exportTranscripts(t, "testdata/export/files.txtar", bot.Capabilities{Private: true, Mentions: true, Files: true})
	exportTranscripts(t, "testdata/export/nofiles.txtar", bot.Capabilities{Private: true, Mentions: true})
}

// TestExportSheet: the spreadsheet lists every expected member by name
// with their state and time: done (with 迟到/补签 notes), 请假 with the
// reason, not yet, not linked.
func TestExportSheet(t *testing.T) {
	cfg := config(t)
	cfg.Exports.Dir = "exports"
	h := commandtest.New(t, commandtest.Options{Config: cfg, Features: inDir, Caps: bot.Capabilities{Private: true, Mentions: true, Files: true}})
	h.Group("第一党支部")
	h.As("周书记")
	h.LinkSpeaker("T0007")
	h.Say("/bind 第一党支部")
	h.Private()
	h.Say("/whoami")
	h.Group("第一党支部")
	h.Say("/checkin open 主题党日 late=30m")
	for _, who := range []struct{ name, number string }{{"张三", "2023001"}, {"李四", "2023002"}, {"王五", "2023003"}} {
		h.As(who.name)
		h.LinkSpeaker(who.number)
	}
	h.As("张三")
	h.Say("签到")
	h.As("李四")
	h.Say("/请假 家中有事")
	h.As("周书记")
	h.Say("/准假 1")
	h.Say("/补签 王五")
	out := h.Say("/progress checkin 导出")
	files, _ := filepath.Glob(filepath.Join(h.Dir, "exports", "progress-checkin-*.xlsx"))
	if len(files) != 1 {
		t.Fatalf("files %q after %q", files, out)
	}
	x, err := excelize.OpenFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("完成情况")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string][]string{}
	for _, r := range rows[4:] {
		byName[r[0]] = r
	}
	if len(byName) != 10 {
		t.Errorf("%d members listed, want the 10 of 第一党支部: %q", len(byName), rows)
	}
	for name, want := range map[string][]string{
		"张三":  {"张三", "2023001", "第一党支部", "已签到", "2026-11-23 09:00"},
		"王五":  {"王五", "2023003", "第一党支部", "已签到", "2026-11-23 09:00", "补签（周书记 记录）"},
		"李四":  {"李四", "2023002", "第一党支部", "请假", "2026-11-23 09:00", "家中有事"},
		"赵六":  {"赵六", "2023004", "第一党支部", "未签到（未绑定，无法提醒）"},
		"周书记": {"周书记", "T0007", "第一党支部", "已签到", "2026-11-23 09:00"}, // the opener is signed in
	} {
		if got := byName[name]; !slices.Equal(got, want) {
			t.Errorf("%s: row %q, want %q", name, got, want)
		}
	}
}
