package calendar_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot/calendar"
)

func TestWriteYear(t *testing.T) {
	c := newCalendar(t, calendar.Options{})
	var b strings.Builder
	if err := c.WriteYear(&b, 2026); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, line := range []string{
		"2026年节假日安排（来源：内置的国务院办公厅放假通知）：\n",
		"\n2026-01-04 周日 上班 元旦节调休（内置）\n",
		"\n2026-02-14 周六 上班 春节调休（内置）\n",
		"\n2026-02-15 周日 休息 春节（内置）\n",
		"\n2026-02-16 周一 休息 春节（内置）\n",
		"\n2026-10-10 周六 上班 国庆节调休（内置）\n",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("missing %q in\n%s", line, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 40 { // header + 39 listed days
		t.Errorf("%d lines:\n%s", n, out)
	}

	b.Reset()
	if err := c.WriteYear(&b, 2027); err != nil {
		t.Fatal(err)
	}
	out = b.String()
	if !strings.HasPrefix(out, "2027年官方节假日安排尚未发布") || !strings.Contains(out, "\n2027-02-05 周五 休息 春节（推算）\n") ||
		strings.Contains(out, "上班") {
		t.Errorf("2027:\n%s", out)
	}

	// A past year is not "not yet published": it is not recorded.
	b.Reset()
	if err := c.WriteYear(&b, 1999); err != nil {
		t.Fatal(err)
	}
	out = b.String()
	if !strings.HasPrefix(out, "1999年的官方节假日安排未收录（内置数据从 2002 年起）") || strings.Contains(out, "尚未发布") ||
		!strings.Contains(out, "\n1999-10-01 周五 休息 国庆节（推算）\n") {
		t.Errorf("1999:\n%s", out)
	}
	for _, english := range []string{"built-in", "provisional", "file)"} {
		if strings.Contains(out, english) {
			t.Errorf("1999 names a source in English (%s):\n%s", english, out)
		}
	}

	if err := c.WriteYear(failingWriter{}, 2026); err == nil || !errors.Is(err, errWrite) {
		t.Errorf("write error: %v", err)
	}
}

var errWrite = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestParseTime(t *testing.T) {
	c := newCalendar(t, calendar.Options{})
	want := at(t, "2026-02-13 16:00")
	for _, s := range []string{
		"2026-02-13T16:00:00+08:00",
		"2026-02-13T08:00:00Z",
		" 2026-02-13T16:00:00.000+08:00 ",
		"2026-02-13T16:00:00",
		"2026-02-13 16:00:00",
		"2026-02-13 16:00",
		"2026-02-13T16:00",
	} {
		got, err := c.ParseTime(s)
		if err != nil || !got.Equal(want) || got.Location() != c.Location() {
			t.Errorf("ParseTime(%q) = %s, %v", s, got, err)
		}
	}
	if got, err := c.ParseTime("2026-02-13"); err != nil || !got.Equal(at(t, "2026-02-13")) {
		t.Errorf("ParseTime(date) = %s, %v", got, err)
	}
	for _, s := range []string{"", "tomorrow", "2026-02-30T16:00:00+08:00", "13/02/2026"} {
		if _, err := c.ParseTime(s); err == nil || !strings.Contains(err.Error(), "无法识别时间") {
			t.Errorf("ParseTime(%q): %v", s, err)
		}
	}
	// The CLI's round trip: parse, compute, print RFC 3339.
	filed, err := c.ParseTime("2026-02-13T16:00:00+08:00")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Deadline(filed, 0, 0).Format(time.RFC3339); got != "2026-02-24T17:30:00+08:00" {
		t.Errorf("deadline printed as %s", got)
	}
}

func TestParseMonth(t *testing.T) {
	c := newCalendar(t, calendar.Options{})
	for _, s := range []string{"2026-02", "2026-2", "2026/02", "2026.2", "2026年2月", " 2026-02 "} {
		start, end, err := c.ParseMonth(s)
		if err != nil || !start.Equal(at(t, "2026-02-01")) || !end.Equal(at(t, "2026-03-01")) {
			t.Errorf("ParseMonth(%q) = %s, %s, %v", s, start, end, err)
		}
	}
	if _, end, err := c.ParseMonth("2026-12"); err != nil || !end.Equal(at(t, "2027-01-01")) {
		t.Errorf("December ends %s, %v", end, err)
	}
	for _, s := range []string{"", "2026", "2026-13", "2026-02-01", "Feb 2026"} {
		if _, _, err := c.ParseMonth(s); err == nil || !strings.Contains(err.Error(), "无法识别月份") {
			t.Errorf("ParseMonth(%q): %v", s, err)
		}
	}
}
