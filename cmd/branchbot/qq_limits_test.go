package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/configs"
)

// TestQQPacingDefaults: QQ's default pacing reaches the outbox as stated in
// README: a 1.5–4s jittered pause, 20 a minute for the account, 10 a minute
// into one group, merged.
func TestQQPacingDefaults(t *testing.T) {
	for _, src := range []string{"", "platforms:\n  qq:\n    enabled: true\n"} {
		cfg, err := configs.Parse([]byte(src), "test")
		if err != nil {
			t.Fatal(err)
		}
		got := limits(cfg.Platforms.QQ.Limits)
		want := bot.Limits{
			Global: bot.RateLimit{Count: 20, Per: time.Minute}, PerChat: []bot.RateLimit{{Count: 10, Per: time.Minute}},
			MinGap: 1500 * time.Millisecond, MaxGap: 4 * time.Second, Merge: got.Merge,
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: QQ limits %+v, want %+v", src, got, want)
		}
	}
	def, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	if l := limits(def.Platforms.QQ.Limits); !l.Merge || l.Global.Count != 20 || def.Platforms.QQ.Enabled {
		t.Errorf("configs/branchbot.yaml: QQ %+v enabled=%v, want merged, 20/min, disabled", l, def.Platforms.QQ.Enabled)
	}
	for _, bad := range []string{
		"platforms:\n  qq:\n    limits:\n      global_per_second: 1\n      global_per_minute: 20\n",
		"platforms:\n  qq:\n    path: ws\n",
		"platforms:\n  qq:\n    reconnect_wait: 1m\n",
		"platforms:\n  qq:\n    enabled: true\n    limits:\n      min_interval: 100ms\n      max_interval: 1s\n",
	} {
		if _, err := configs.Parse([]byte(bad), "test"); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
