package relay_test

import (
	"context"
	"strings"
	"testing"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/export"
	"github.com/branchbot/branchbot/commands/relay"
)

// features runs in the harness's folder so that export paths in the
// transcripts are the same on every run.
func features(h *commandtest.Harness) []bot.Feature {
	if t, ok := h.T.(*testing.T); ok {
		t.Chdir(h.Dir)
	}
	return []bot.Feature{relay.New(h.Engine, h.DB), export.New(h.Engine, h.DB, "exports")}
}

func TestTranscripts(t *testing.T) {
	commandtest.RunFiles(t, "testdata/relay.txtar", commandtest.Options{Features: features})
	commandtest.RunFiles(t, "testdata/typing.txtar", commandtest.Options{Features: features})
	commandtest.RunFiles(t, "testdata/manage.txtar", commandtest.Options{Features: features})
}

func TestTranscriptsEdit(t *testing.T) {
	commandtest.RunFiles(t, "testdata/edit.txtar", commandtest.Options{Features: features,
		Platform: "telegram", Caps: bot.Capabilities{Buttons: true, Edit: true, Mentions: true, CommandsOnly: true}})
}

// TestProxyEntriesInExport: an entry a secretary made for someone says so
// in the export's status column, as on the list.
func TestProxyEntriesInExport(t *testing.T) {
	h := commandtest.New(t, commandtest.Options{Features: features})
	h.Group("第一党支部")
	h.As("王老师")
	h.Say("/bind 第一党支部")
	h.As("周书记")
	h.LinkSpeaker("T0007")
	h.Say("/relay 周六志愿服务 limit=1")
	h.Say("接龙")
	h.Say("代接龙 王五 带家属")
	h.Say("代接龙 王奶奶")
	tbl, _, err := export.Relay(context.Background(), h.DB, h.Engine.Units(), h.Engine.Location(), 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range tbl.Rows {
		got = append(got, strings.Join([]string{r[0], r[1], r[2], r[5], r[6]}, " "))
	}
	want := []string{
		"1 周书记 T0007  已报名",
		"2 王五 2023003 带家属 候补1（周书记代接龙）",
		"3 王奶奶   候补2（周书记代接龙）",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("export rows:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
