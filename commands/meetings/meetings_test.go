package meetings_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands"
	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/followup"
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
			checkin.New(h.Engine, h.DB).WithMeetingTypes(h.Config.Meetings.Names()).WithMeetingTitles(h.Config.Meetings.TitlesByType()),
			meetings.New(h.Engine, h.DB, h.Config.Meetings),
		}
	}})
}

// TestLedger (a 支部党员大会: the whole roster): the 台账 of 计算机学院党委 for a year has a sheet for it and
// one for 第一党支部, which held meetings; each meeting with 应到, 实到
// (make-up included), 请假 and the absent by name.
func TestLedger(t *testing.T) {
	cfg, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	h := commandtest.New(t, commandtest.Options{Config: cfg, Features: func(h *commandtest.Harness) []bot.Feature {
		return []bot.Feature{checkin.New(h.Engine, h.DB).WithMeetingTypes(h.Config.Meetings.Names()).WithMeetingTitles(h.Config.Meetings.TitlesByType())}
	}})
	for _, l := range []string{":at 2026-11-02T19:00", ":group 第一党支部", ":as 周书记", ":link T0007", "/bind 第一党支部",
		"/checkin open 支部党员大会 1h", ":as 张三", ":link 2023001", "/请假 出差", ":as 周书记", "/准假 1", "/补签 李四", "/checkin close", "/会议记录 传达学习了全会精神",
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
	if r.Type != "支部党员大会" || r.Expected != 4 || r.Present != 2 || r.Leave != 1 || strings.Join(r.Absent, "、") != "王五" {
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
	want := "2026-11-02 19:00 支部党员大会 支部党员大会 4 2 1 王五 传达学习了全会精神（周书记）"
	if len(rows) != 2 || strings.Join(rows[1], " ") != want {
		t.Errorf("sheet 第一党支部: %q, want the header and %q", rows, want)
	}
}

// TestCommittee: a 支委会 expects only the committee (roster titles 书记,
// 组织委员, 宣传委员, … by default): its result, the follow-up, /checkin
// stats and the 台账 count 应到 from them; a member who sits in is 名单外.
func TestCommittee(t *testing.T) {
	cfg, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Roster.SeedFile = "testdata/committee/roster.csv"
	cfg.Roster.Link.Preset = nil
	features := func(h *commandtest.Harness) []bot.Feature {
		return []bot.Feature{
			checkin.New(h.Engine, h.DB).WithMeetingTypes(h.Config.Meetings.Names()).WithMeetingTitles(h.Config.Meetings.TitlesByType()),
			meetings.New(h.Engine, h.DB, h.Config.Meetings),
			followup.New(h.Engine, h.DB, commands.FollowupOptions(h.Config)),
		}
	}
	commandtest.RunFiles(t, "testdata/committee/*.txtar", commandtest.Options{Config: cfg, Features: features,
		Caps: bot.Capabilities{Private: true, Mentions: true}})

	h := commandtest.New(t, commandtest.Options{Config: cfg, Features: features})
	for _, l := range []string{":at 2026-11-02T19:00", ":group 第一党支部", ":as 周书记", ":link T0007", "/bind 第一党支部",
		":as 钱委员", ":link 2023005", ":as 孙委员", ":link 2023006", ":as 张三", ":link 2023001",
		":as 周书记", "/checkin open 支委会 1h", ":as 钱委员", "签到", ":as 张三", "签到", ":as 周书记", "/checkin close"} {
		if _, err := h.Do(l); err != nil {
			t.Fatal(err)
		}
	}
	units := h.Engine.Units()
	root, _ := units.ByName("第一党支部")
	ls, err := meetings.Ledger(context.Background(), h.DB, units, h.Engine.Location(), root.ID, 2026, h.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 1 || len(ls[0].Rows) != 1 {
		t.Fatalf("ledgers %+v", ls)
	}
	if r := ls[0].Rows[0]; r.Type != "支委会" || r.Expected != 3 || r.Present != 2 || r.Leave != 0 || strings.Join(r.Absent, "、") != "孙委员" {
		t.Errorf("支委会 row %+v, want 应到 3 (the committee), 实到 2, 缺席 孙委员", r)
	}
}
