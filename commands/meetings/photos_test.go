package meetings_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/meetings"
)

// TestLedgerPhotos: the 台账 lists a meeting's photos by file name, with who
// sent each, in a column of their own; /meetings counts them after the
// meeting's date.
func TestLedgerPhotos(t *testing.T) {
	h := commandtest.New(t, commandtest.Options{Features: func(h *commandtest.Harness) []bot.Feature {
		return []bot.Feature{checkin.New(h.Engine, h.DB).WithMeetingTypes(h.Config.Meetings.Names()), meetings.New(h.Engine, h.DB, h.Config.Meetings)}
	}})
	for _, l := range []string{":at 2026-11-02T19:00", ":group 第一党支部", ":as 周书记", ":link T0007", "/bind 第一党支部",
		"/checkin open 支部党员大会 1h", "/checkin close"} {
		if _, err := h.Do(l); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	for _, f := range []string{"s1-1.jpg", "s1-2.png"} {
		err := h.DB.UpdateCheckins(ctx, h.Clock.Now(), func(tx checkin.Tx) error {
			_, err := tx.AddPhoto(checkin.Photo{SessionID: 1, File: f, Bytes: 10, MemberID: 1, AuthorName: "周书记", At: h.Clock.Now()})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(h.Say("/meetings"), "\n"); !strings.Contains(got, "已开 1 次（11月2日 照片 2 张）") {
		t.Errorf("/meetings answered\n%s\nwant the meeting with its 2 photos", got)
	}
	units := h.Engine.Units()
	u, _ := units.ByName("第一党支部")
	ls, err := meetings.Ledger(ctx, h.DB, units, h.Engine.Location(), u.ID, 2026, h.Clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
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
	if len(rows) != 2 || rows[0][len(rows[0])-1] != "会议照片" || rows[1][len(rows[1])-1] != "s1-1.jpg（周书记）\ns1-2.png（周书记）" {
		t.Errorf("sheet %q, want the photos in the last column", rows)
	}
}
