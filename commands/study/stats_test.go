package study_test

import (
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// /study stats 导出 writes a workbook with per-member and per-unit sheets.
func TestStatsExport(t *testing.T) {
	cfg := testConfig(t)
	h, _ := harness(t, cfg, at("2026-11-23T09:00"), nil)
	h.Group("第一党支部")
	h.As("周书记")
	h.LinkSpeaker("T0007")
	h.Say("/bind 第一党支部")
	h.As("张三")
	h.LinkSpeaker("2023001")
	h.Say("/studied 3")
	h.Say("/studied 4")
	h.As("周书记")
	out := strings.Join(h.Say("/study stats 导出"), "\n")
	_, path, ok := strings.Cut(out, "表格已保存在服务器上：")
	path, _, _ = strings.Cut(path, "，")
	if !ok || !strings.HasPrefix(path, cfg.Exports.Dir) || !strings.HasSuffix(path, ".xlsx") {
		t.Fatalf("reply %q names no export under %s", out, cfg.Exports.Dir)
	}
	x, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("按成员")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows {
		if len(r) == 6 && r[1] == "张三" {
			found = true
			if r[3] != "2" || r[4] != "3" || r[5] != "67%" {
				t.Errorf("张三's row = %v, want 2 of 3 studied", r)
			}
		}
	}
	if !found {
		t.Errorf("no row for 张三 in %v", rows)
	}
	units, err := x.GetRows("按单位")
	if err != nil || len(units) != 2 || units[1][0] != "第一党支部" || units[1][2] != "2" {
		t.Errorf("unit sheet = %v, %v", units, err)
	}
}
