package configs

import (
	"os"
	"time"
)

// SLAConfig configures suggestion tickets (意见建议).
type SLAConfig struct {
	BusinessDays      int              `yaml:"business_days"`     // default 2
	CloseOfBusiness   string           `yaml:"close_of_business"` // default 17:30
	DefaultDepartment string           `yaml:"default_department"`
	SupervisorChat    string           `yaml:"supervisor_chat"` // title of the chat that gets escalations
	Categories        []CategoryConfig `yaml:"categories"`
}

// CategoryConfig routes suggestions with any of the keywords to a department.
type CategoryConfig struct {
	Name       string   `yaml:"name"`
	Department string   `yaml:"department"` // a unit name
	Keywords   []string `yaml:"keywords"`
}

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
		if c.SLA.BusinessDays == 0 {
			c.SLA.BusinessDays = 2
		}
		if c.SLA.CloseOfBusiness == "" {
			c.SLA.CloseOfBusiness = "17:30"
		}
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
