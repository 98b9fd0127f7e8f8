package checkin

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/when"
)

// The check-in's rules beside decide (writer.go), as pure functions: what
// /checkin open was given, who counts against the roster, what a member's
// code is, and the range of /checkin stats.

// openArgs reads the positional arguments of /checkin open: the title, and
// a duration in the last place. A title with spaces is quoted or followed by
// a duration; a last word that is not a good duration is an error, never
// part of the title, and so is a title that is only a duration.
func openArgs(pos []string) (title string, dur time.Duration, err error) {
	dur = DefaultDuration
	pos = splitGluedDuration(pos)
	n := len(pos)
	switch {
	case n == 0:
		return "", 0, bot.Errorf("用法：/checkin open <主题> [时长] [code=口令] [late=迟到时长]，例：/checkin open 主题党日 30m code=4827")
	case n == 1 && when.IsDuration(pos[0]):
		return "", 0, bot.Errorf("缺少签到主题：「%s」是时长。例：/checkin open 主题党日 %s", pos[0], pos[0])
	case n == 1:
		return pos[0], dur, nil
	}
	last := pos[n-1]
	if !when.IsDuration(last) {
		return "", 0, bot.Errorf("看不懂时长「%s」，可以写成 30m、90分钟 或 1小时。主题中有空格请加引号，例：/checkin open \"主题 党日\" 30m", last)
	}
	if dur, err = when.ParseDuration(last); err != nil {
		return "", 0, bot.Errorf("%v", err)
	}
	words := pos[:n-1]
	if allDurations(words) {
		return "", 0, bot.Errorf("缺少签到主题。例：/checkin open 主题党日 %s", last)
	}
	return strings.Join(words, " "), dur, nil
}

// splitGluedDuration separates a duration a phone's comma glued to the
// title (主题党日，1小时, 主题党日、30m) into a word of its own. A comma
// followed by anything else is part of the title (学习,讨论).
func splitGluedDuration(pos []string) []string {
	n := len(pos)
	if n == 0 {
		return pos
	}
	last := pos[n-1]
	i := strings.LastIndexAny(last, "，、,")
	if i < 0 {
		return pos
	}
	_, size := utf8.DecodeRuneInString(last[i:])
	if tail := last[i+size:]; when.IsDuration(tail) {
		out := slices.Clone(pos[:n-1])
		if head := last[:i]; head != "" {
			out = append(out, head)
		}
		return append(out, tail)
	}
	return pos
}

func allDurations(words []string) bool {
	for _, w := range words {
		if !when.IsDuration(w) {
			return false
		}
	}
	return true
}

// Kind is how a check-in counts against the roster of the session's unit.
type Kind int

const (
	Expected Kind = iota // a roster member of the unit (or a unit below it)
	Unlinked             // someone who never linked a roster entry
	Outside              // a roster member of another unit
)

// KindOf is the rule for who counts: a check-in counts against the roster
// when its roster entry belongs to the session's unit or a unit below it.
// The running count and the result both count by it.
func KindOf(s Session, c Checkin, units *bot.UnitTree) Kind {
	switch {
	case c.RosterID == 0:
		return Unlinked
	case units.Contains(s.UnitID, c.UnitID):
		return Expected
	}
	return Outside
}

// Tally is a session's check-ins counted against its roster.
type Tally struct {
	Present int // roster members checked in, late ones included
	Late    int // of them, late
	Others  int // check-ins from people not on the unit's roster
}

// add counts one check-in of kind k.
func (t *Tally) add(k Kind, late bool) {
	if k != Expected {
		t.Others++
		return
	}
	t.Present++
	if late {
		t.Late++
	}
}

// arrival is how the running count names someone who just checked in: by
// name, with why they do not count against the roster.
func arrival(c Checkin, k Kind) string {
	switch k {
	case Unlinked:
		return c.Name + "（未绑定花名册）"
	case Outside:
		return c.Name + "（名单外）"
	}
	return c.Name
}

// codeOf is the code a member gave: the first argument without the
// punctuation and emoji phones add after it (签到！, 4827。), "" if nothing
// else is left.
func codeOf(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return strings.TrimRightFunc(args[0], decoration)
}

// decoration reports what a code never ends with: punctuation, symbols and
// emoji.
func decoration(r rune) bool {
	return unicode.IsPunct(r) || unicode.IsSymbol(r) || r == utf8.RuneError || r >= 0x1F000 || r == '\uFE0F' || r == '\u200D'
}

// statsRange reads the dates of /checkin stats: the first day and the day
// after the last ([from, to)); zero bounds are open. The start may not be
// after today and the end may not come before the start; a date written
// without a year is the nearest one (see when.ParseDate), and errors name the
// date as it was read, with its year when that is not this year's.
func statsRange(args []string, now time.Time) (from, to time.Time, err error) {
	if len(args) > 2 {
		return from, to, bot.Errorf("用法：/checkin stats [起始日期] [结束日期]，例：/checkin stats 11月1日 11月30日")
	}
	day := func(s string) (time.Time, error) {
		t, err := when.ParseDate(s, now)
		if err != nil {
			return t, bot.Errorf("%v", err)
		}
		return t, nil
	}
	if len(args) == 1 {
		if a, b, ok := splitDayRange(args[0], now); ok {
			args = []string{a, b} // 12月1日至12月5日
		} else if _, derr := when.ParseDate(args[0], now); derr != nil {
			if m, merr := when.ParseMonth(args[0], now); merr == nil {
				if m.After(now) {
					return from, to, bot.Errorf("起始日期 %s 还没到。", when.Date(m, now))
				}
				return m, m.AddDate(0, 1, 0), nil // 11月, 本月: the whole month
			}
		}
	}
	if len(args) >= 1 {
		if from, err = day(args[0]); err != nil {
			return from, to, err
		}
		if from.After(now) {
			return from, to, bot.Errorf("起始日期 %s 还没到。", when.Date(from, now))
		}
	}
	if len(args) == 2 {
		if to, err = day(args[1]); err != nil {
			return from, to, err
		}
		if to.Before(from) {
			return from, to, bot.Errorf("结束日期 %s 早于起始日期 %s。", when.Date(to, now), when.Date(from, now))
		}
		to = to.AddDate(0, 0, 1)
	}
	return from, to, nil
}

// splitDayRange reads a range typed as one word, 12月1日至12月5日 (至, 到, ～,
// ~, —, or a dash where both sides are dates), as its two days.
func splitDayRange(s string, now time.Time) (from, to string, ok bool) {
	for i, r := range s {
		if !strings.ContainsRune("至到～~—-", r) || i == 0 {
			continue
		}
		a, b := s[:i], s[i+utf8.RuneLen(r):]
		if _, err := when.ParseDate(a, now); err != nil {
			continue
		}
		if _, err := when.ParseDate(b, now); err != nil {
			continue
		}
		return a, b, true
	}
	return "", "", false
}

// countText is the running count of a session: the roster's count, others
// apart, and who checked in since the group last saw a count (each member's
// confirmation, by name).
func countText(s Session, t Tally, names []string) string {
	text := fmt.Sprintf("「%s」已签到 %d", s.Title, t.Present)
	if s.Expected > 0 {
		text = fmt.Sprintf("「%s」已签到 %d/%d", s.Title, t.Present, s.Expected)
	} else {
		text += " 人"
	}
	if t.Late > 0 {
		text += fmt.Sprintf("（迟到 %d）", t.Late)
	}
	if t.Others > 0 {
		text += fmt.Sprintf("，名单外 %d 人", t.Others)
	}
	if len(names) > 0 {
		shown := names
		if len(shown) > maxNamed {
			shown = shown[len(shown)-maxNamed:]
		}
		if len(names) > len(shown) {
			text += fmt.Sprintf("\n刚签到 %d 人，最近的 %d 人：", len(names), len(shown))
		} else {
			text += "\n刚签到："
		}
		text += strings.Join(shown, "、")
	}
	return text
}

// maxNamed is how many of those who just checked in a count names at most
// (the latest).
const maxNamed = 100
