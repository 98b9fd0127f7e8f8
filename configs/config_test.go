package configs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultConfigLoads(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if !c.Platforms.Terminal.Enabled || c.Database != "data/branchbot.db" || c.SLA.BusinessDays != 2 {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	n := 0
	c.WalkUnits(func(UnitConfig, string) { n++ })
	if n < 4 {
		t.Fatalf("demo organisation has %d units", n)
	}
}

func TestShippedFileMatchesEmbedded(t *testing.T) {
	b, err := os.ReadFile("branchbot.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(DefaultYAML()) {
		t.Fatal("embedded default differs from configs/branchbot.yaml")
	}
}

func TestStrictErrorsNameKeyAndLine(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"bot:\n  name: x\n  nmae: y\n", `line 3: unknown key "bot.nmae"`},
		{"tick: soon\n", "line 1"},
		{"log_level: loud\n", "log_level"},
		{"timezone: Mars/Base\n", "timezone"},
		{"admins: [nobody]\n", "admins[0]"},
		{"units:\n  - name: a\n  - name: a\n", "units[1].name"},
		{"units:\n  - name: a\n    review:\n      - name: x\n", "units[0].review[0]"},
		{"platforms:\n  wechat:\n    limits:\n      min_interval: 3s\n      max_interval: 1s\n", "platforms.wechat.limits.max_interval"},
		{"platforms:\n  telegram:\n    tokn: x\n", `unknown key "platforms.telegram.tokn"`},
		{"bot: [1, 2\n", "config test.yaml"},
		// A value of the wrong type is named by its key path, and says
		// what the key takes.
		{"tick: 10\n", "line 1: tick: `10` is not a duration like 30s, 10m or 24h"},
		{"bot:\n  name: x\n  nmae: y\n", `unknown key "bot.nmae"`},
		{"roster:\n  link:\n    approval: yes please\n", "line 3: roster.link.approval: `yes please` is not true or false"},
		{"study:\n  pushes:\n    - name: a\n      cron: [1]\n", "line 4: study.pushes[0].cron: a list is not text"},
		{"llm:\n  daily_budget: many\n", "llm.daily_budget: `many` is not a whole number"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.yaml), "test.yaml")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v, want it to mention %q", tt.yaml, err, tt.want)
		}
	}
}

func TestEnvSecrets(t *testing.T) {
	t.Setenv("BRANCHBOT_TELEGRAM_TOKEN", "123:abc")
	t.Setenv("BRANCHBOT_LLM_API_KEY", "sk-test")
	c, err := Parse([]byte("platforms:\n  telegram:\n    token: fromfile\n"), "x")
	if err != nil {
		t.Fatal(err)
	}
	if c.Platforms.Telegram.Token != "123:abc" || c.LLM.APIKey != "sk-test" {
		t.Fatalf("env not applied: %q %q", c.Platforms.Telegram.Token, c.LLM.APIKey)
	}
}

func TestLoadMissingDefaultUsesEmbedded(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	t.Cleanup(func() { os.Chdir(wd) })
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(DefaultPath); err != nil {
		t.Fatalf("embedded fallback: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "nope.yaml")); err == nil {
		t.Fatal("a named missing file must be an error")
	}
}
