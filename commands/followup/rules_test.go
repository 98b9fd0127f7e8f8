package followup

import (
	"slices"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
)

var cst = time.FixedZone("CST", 8*3600)

func at(hm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", "2026-11-23 "+hm, cst)
	if err != nil {
		panic(err)
	}
	return t
}

func TestQuiet(t *testing.T) {
	night := Quiet{22 * time.Hour, 7*time.Hour + 30*time.Minute}
	noon := Quiet{12 * time.Hour, 14 * time.Hour}
	for _, c := range []struct {
		q    Quiet
		at   string
		want bool
	}{
		{night, "21:59", false}, {night, "22:00", true}, {night, "23:59", true}, {night, "00:00", true},
		{night, "07:29", true}, {night, "07:30", false}, {night, "12:00", false},
		{noon, "11:59", false}, {noon, "12:00", true}, {noon, "13:59", true}, {noon, "14:00", false},
		{Quiet{}, "03:00", false},
	} {
		if got := c.q.Holds(at(c.at)); got != c.want {
			t.Errorf("%v holds %s = %v, want %v", c.q, c.at, got, c.want)
		}
	}
}

func TestDue(t *testing.T) {
	night := Quiet{22 * time.Hour, 7*time.Hour + 30*time.Minute}
	offs := []time.Duration{-24 * time.Hour, -time.Hour}
	deadline := at("18:00")
	base := Task{Kind: KindRelay, ID: 1, Deadline: deadline, Created: deadline.Add(-48 * time.Hour)}
	h := time.Hour
	for _, c := range []struct {
		name    string
		task    func(Task) Task
		handled []time.Duration
		now     time.Time
		send    time.Duration
		sendOK  bool
		skip    []time.Duration
	}{
		{name: "before the first round", now: deadline.Add(-25 * h)},
		{name: "the day before", now: deadline.Add(-24 * h), send: -24 * h, sendOK: true},
		{name: "day-before round done", handled: []time.Duration{-24 * h}, now: deadline.Add(-2 * h)},
		{name: "the hour before", handled: []time.Duration{-24 * h}, now: deadline.Add(-h), send: -h, sendOK: true},
		{name: "both due after a pause: the latest only", now: deadline.Add(-30 * time.Minute), send: -h, sendOK: true, skip: []time.Duration{-24 * h}},
		{name: "all handled", handled: []time.Duration{-24 * h, -h}, now: deadline.Add(-time.Minute)},
		{name: "past the deadline", now: deadline},
		{name: "made after the day-before instant", task: func(t Task) Task { t.Created = deadline.Add(-5 * h); return t },
			now: deadline.Add(-5 * h), skip: []time.Duration{-24 * h}},
		{name: "made after both instants", task: func(t Task) Task { t.Created = deadline.Add(-30 * time.Minute); return t },
			now: deadline.Add(-30 * time.Minute), skip: []time.Duration{-24 * h, -h}},
		{name: "closed", task: func(t Task) Task { t.Closed = true; return t }, now: deadline.Add(-h)},
		{name: "full relay", task: func(t Task) Task { t.Cap, t.Taken = 5, 5; return t }, now: deadline.Add(-h)},
		{name: "relay with places left", task: func(t Task) Task { t.Cap, t.Taken = 5, 4; return t }, now: deadline.Add(-h), send: -h, sendOK: true, skip: []time.Duration{-24 * h}},
		{name: "no deadline", task: func(t Task) Task { t.Deadline = time.Time{}; return t }, now: deadline},
		{name: "quiet hours wait", task: func(t Task) Task { t.Deadline = at("23:30").Add(24 * h); return t }, now: at("22:30")},
		{name: "after the quiet hours", task: func(t Task) Task { t.Deadline = at("23:30").Add(24 * h); return t }, now: at("07:30").Add(24 * h),
			send: -24 * h, sendOK: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			task := base
			if c.task != nil {
				task = c.task(task)
			}
			got := due(task, offs, c.handled, c.now, night)
			if got.SendOK != c.sendOK || (c.sendOK && got.Send != c.send) || !slices.Equal(got.Skip, c.skip) {
				t.Errorf("got %+v, want send %v %v skip %v", got, c.send, c.sendOK, c.skip)
			}
		})
	}
}

func TestProgressAndRoute(t *testing.T) {
	e := func(id int64, name string) bot.RosterEntry { return bot.RosterEntry{ID: id, Name: name} }
	id := func(platform string, member, private int64) Identity {
		return Identity{Member: bot.Member{ID: member, Platform: platform}, PrivateChat: private}
	}
	expected := []bot.RosterEntry{e(1, "甲"), e(2, "乙"), e(3, "丙"), e(4, "丁"), e(5, "戊"), e(6, "己"), e(7, "庚")}
	done := map[int64]bool{1: true, 6: true}
	leave := map[int64]bool{7: true, 1: true} // done counts before leave
	ids := map[int64][]Identity{
		1: {id("wechat", 11, 0)},
		2: {id("telegram", 21, 201), id("wechat", 22, 202)}, // private on both: the task's platform wins
		3: {id("wechat", 31, 0)},                            // no private chat: the group
		4: {id("terminal", 41, 401)},                        // a platform without private chats: the group
		// 5 has no identity: unlinked
		6: nil,
	}
	p := progress(expected, done, leave, ids)
	names := func(ps []Person) (out []string) {
		for _, x := range ps {
			out = append(out, x.Entry.Name)
		}
		return out
	}
	if got := names(p.Done); !slices.Equal(got, []string{"甲", "己"}) {
		t.Errorf("done %v", got)
	}
	if got := names(p.Leave); !slices.Equal(got, []string{"庚"}) {
		t.Errorf("leave %v", got)
	}
	if got := names(p.Pending); !slices.Equal(got, []string{"乙", "丙", "丁"}) {
		t.Errorf("pending %v", got)
	}
	if got := names(p.Unlinked); !slices.Equal(got, []string{"戊"}) {
		t.Errorf("unlinked %v", got)
	}
	caps := func(platform string) bot.Capabilities { return bot.Capabilities{Private: platform != "terminal"} }
	priv, group := route(p.Pending, "wechat", caps)
	if len(priv) != 1 || priv[0].ChatID != 202 || priv[0].Person.Entry.Name != "乙" {
		t.Errorf("private %+v", priv)
	}
	if got := names(group); !slices.Equal(got, []string{"丙", "丁"}) {
		t.Errorf("group %v", got)
	}
	if got := chunks(p.Pending, 2); len(got) != 2 || len(got[0]) != 2 || len(got[1]) != 1 {
		t.Errorf("chunks %v", got)
	}
}

func TestStreak(t *testing.T) {
	for _, c := range []struct {
		missed []bool
		want   int
	}{
		{nil, 0},
		{[]bool{false, true, true}, 0},
		{[]bool{true, true, true}, 3},
		{[]bool{true, true, false, true}, 2},
		{[]bool{true, true, true, true}, 4},
	} {
		if got := streak(c.missed); got != c.want {
			t.Errorf("streak(%v) = %d, want %d", c.missed, got, c.want)
		}
	}
}
