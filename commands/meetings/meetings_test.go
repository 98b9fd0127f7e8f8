package meetings_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/meetings"
	"github.com/branchbot/branchbot/configs"
)

func TestTranscripts(t *testing.T) {
	cfg, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	commandtest.RunFiles(t, "testdata/*.txtar", commandtest.Options{Config: cfg, Features: func(h *commandtest.Harness) []bot.Feature {
		return []bot.Feature{
			checkin.New(h.Engine, h.DB).WithMeetingTypes(h.Config.Meetings.Names()),
			meetings.New(h.Engine, h.DB, h.Config.Meetings),
		}
	}})
}

// TestLedger: the 台账 of 计算机学院党委 for a year has a sheet for it and
// one for 第一党支部, which held meetings; each meeting with 应到, 实到
// (make-up included), 请假 and the absent by name.
func TestLedger(t *testing.T) {
	cfg, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	h := commandtest.New(t, commandtest.Options{Config: cfg, Features: func(h *commandtest.Harness) []bot.Feature {
		return []bot.Feature{checkin.New(h.Engine, h.DB).WithMeetingTypes(h.Config.Meetings.Names())}
	}})
	for _, l := range []string{":at 2026-11-02T19:00", ":group 第一党支部", ":as 周书记", ":link T0007", "/bind 第一党支部",
		"/checkin open 支委会 1h", ":as 张三", ":link 2023001", "/请假 出差", ":as 周书记", "/准假 1", "/补签 李四", "/checkin close", "/会议记录 传达学习了全会精神",
		"/checkin open 读书会 1h", "/checkin close"} {
		if _, err := h.Do(l); err != nil {
			t.Fatal(err)
		}
	}
	units := h.Engine.Units()
	root, _ := units.ByName("计算机学院党委")
	ls, err := meetings.Ledger(context.Background(), h.DB, units, h.Engine.Location(), root.ID, 2026, h.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 || ls[0].Unit != "计算机学院党委" || len(ls[0].Rows) != 0 || ls[1].Unit != "第一党支部" || len(ls[1].Rows) != 1 {
		t.Fatalf("ledgers %+v", ls)
	}
	r := ls[1].Rows[0]
	if r.Type != "支委会" || r.Expected != 4 || r.Present != 2 || r.Leave != 1 || strings.Join(r.Absent, "、") != "王五" {
		t.Errorf("row %+v", r)
	}
	var buf bytes.Buffer
	if err := meetings.WriteXLSX(ls, &buf); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows("第一党支部")
	if err != nil {
		t.Fatal(err)
	}
	want := "2026-11-02 19:00 支委会 支委会 4 2 1 王五 传达学习了全会精神（周书记）"
	if len(rows) != 2 || strings.Join(rows[1], " ") != want {
		t.Errorf("sheet 第一党支部: %q, want the header and %q", rows, want)
	}
}
