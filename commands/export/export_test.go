package export_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/exports"
	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/export"
	"github.com/branchbot/branchbot/commands/relay"
)

// filesCaps is a platform that takes files and has private chats.
var filesCaps = bot.Capabilities{Mentions: true, Private: true, Files: true}

// features runs in the harness's folder so that export paths in the
// transcripts are the same on every run.
func features(h *commandtest.Harness) []bot.Feature {
	if t, ok := h.T.(*testing.T); ok {
		t.Chdir(h.Dir)
	}
	return []bot.Feature{checkin.New(h.Engine, h.DB), relay.New(h.Engine, h.DB), export.New(h.Engine, h.DB, "exports")}
}

func TestTranscripts(t *testing.T) {
	commandtest.RunFiles(t, "testdata/files.txtar", commandtest.Options{Features: features, Caps: filesCaps})
	commandtest.RunFiles(t, "testdata/nofiles.txtar", commandtest.Options{Features: features})
}

// An export sent into a private chat is a file the owner alone may read,
// in a folder only the bot's user may enter.
func TestExportFileModes(t *testing.T) {
	h := commandtest.New(t, commandtest.Options{Features: features, Caps: filesCaps})
	h.Group("第一党支部")
	h.As("周书记")
	h.LinkSpeaker("T0007")
	h.Say("/bind 第一党支部")
	h.Say("/relay 周六志愿服务 limit=2")
	h.Private()
	out := strings.Join(h.Say("/export relay 1 csv"), "\n")
	if !strings.Contains(out, "文件: relay-1-20261123-090000.csv") {
		t.Fatalf("the export answered %q", out)
	}
	for path, want := range map[string]os.FileMode{
		filepath.Join(h.Dir, "exports"):                                exports.DirMode,
		filepath.Join(h.Dir, "exports", "relay-1-20261123-090000.csv"): exports.FileMode,
	} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", path, st.Mode().Perm(), want)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(h.Dir, "exports", ".*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %q", leftovers)
	}
}
