package main

import (
	"strings"
	"testing"
)

// stats reads the database file (beside a bot or not): table sizes with
// their rows; vacuum rewrites it.
func TestStatsAndVacuum(t *testing.T) {
	cfg, _ := writeConfig(t, "")
	if _, errs, err := run(t, ":as 王老师\n/bind 第一党支部\n:as 张三\n/whoami\n", "run", "--config", cfg); err != nil {
		t.Fatalf("run: %v\n%s", err, errs)
	}
	out, errs, err := run(t, "", "stats", "--config", cfg)
	if err != nil {
		t.Fatalf("stats: %v\n%s", err, errs)
	}
	for _, want := range []string{"free pages", "table", "rows", "indexes", "roster", "outbox", "no bot has reported"} {
		if !strings.Contains(out, want) {
			t.Errorf("stats lacks %q:\n%s", want, out)
		}
	}
	var outboxRows string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "outbox" {
			outboxRows = f[1]
		}
	}
	if outboxRows != "2" {
		t.Errorf("outbox rows %q, want 2 (the two replies):\n%s", outboxRows, out)
	}
	out, errs, err = run(t, "", "vacuum", "--config", cfg)
	if err != nil || !strings.Contains(out, "vacuumed") {
		t.Fatalf("vacuum: %v %s\n%s", err, out, errs)
	}
}
