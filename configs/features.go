package configs

import (
	"os"
	"time"
)

// LLMConfig enables optional model features.
type LLMConfig struct {
	BaseURL     string        `yaml:"base_url"`
	APIKey      string        `yaml:"api_key"` // or env BRANCHBOT_LLM_API_KEY
	Model       string        `yaml:"model"`
	Timeout     time.Duration `yaml:"timeout"`
	DailyBudget int           `yaml:"daily_budget"`
}

// Enabled reports whether the LLM features are configured.
func (l LLMConfig) Enabled() bool { return l.BaseURL != "" && l.Model != "" }

func init() {
	sectionDefaults = append(sectionDefaults, func(c *Config) {
		if c.LLM.Timeout == 0 {
			c.LLM.Timeout = 20 * time.Second
		}
		if c.Study.CatchUp == 0 {
			c.Study.CatchUp = 2 * time.Hour
		}
	})
	envOverrides = append(envOverrides, func(c *Config) {
		if v := os.Getenv("BRANCHBOT_LLM_API_KEY"); v != "" {
			c.LLM.APIKey = v
		}
	})
}
