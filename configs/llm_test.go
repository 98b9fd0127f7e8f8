package configs

import (
	"strings"
	"testing"
	"time"
)

func TestLLMValidation(t *testing.T) {
	bad := []struct{ yaml, want string }{
		{"llm:\n  base_url: ftp://x\n  model: m\n", "llm.base_url"},
		{"llm:\n  base_url: not a url\n  model: m\n", "llm.base_url"},
		{"llm:\n  base_url: http://localhost:11434/v1\n", "llm.model"},
		{"llm:\n  model: qwen-plus\n", "llm.base_url"},
		{"llm:\n  timeout: -1s\n", "llm.timeout"},
		{"llm:\n  daily_budget: -3\n", "llm.daily_budget"},
		{"llm:\n  budget: 3\n", `unknown key "llm.budget"`},
	}
	for _, tt := range bad {
		_, err := Parse([]byte(tt.yaml), "test.yaml")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v, want it to mention %q", tt.yaml, err, tt.want)
		}
	}
	c, err := Parse([]byte("llm:\n  base_url: \" http://localhost:11434/v1 \"\n  model: qwen2.5:7b\n"), "ok.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !c.LLM.Enabled() || c.LLM.BaseURL != "http://localhost:11434/v1" || c.LLM.DailyBudget != DefaultLLMDailyBudget || c.LLM.Timeout != 20*time.Second {
		t.Fatalf("llm defaults not applied: %+v", c.LLM)
	}
	d, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if d.LLM.Enabled() {
		t.Fatal("the shipped config must leave the model features off")
	}
}
