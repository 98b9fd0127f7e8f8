package configs

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// DefaultLLMDailyBudget is the daily request budget when llm.daily_budget is
// not set.
const DefaultLLMDailyBudget = 200

func init() {
	sectionDefaults = append(sectionDefaults, func(c *Config) {
		c.LLM.BaseURL = strings.TrimSpace(c.LLM.BaseURL)
		c.LLM.Model = strings.TrimSpace(c.LLM.Model)
		if c.LLM.DailyBudget == 0 {
			c.LLM.DailyBudget = DefaultLLMDailyBudget
		}
	})
	validators = append(validators, validateLLM)
}

func validateLLM(c *Config) error {
	l := c.LLM
	if l.BaseURL != "" {
		u, err := url.Parse(l.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("llm.base_url: must be an http(s) URL such as https://api.deepseek.com/v1, not %q", l.BaseURL)
		}
		if l.Model == "" {
			return fmt.Errorf("llm.model: required when llm.base_url is set (e.g. deepseek-chat, qwen-plus)")
		}
	} else if l.Model != "" {
		return fmt.Errorf("llm.base_url: required when llm.model is set")
	}
	if l.Timeout <= 0 || l.Timeout > 10*time.Minute {
		return fmt.Errorf("llm.timeout: must be between 1ms and 10m, not %s", l.Timeout)
	}
	if l.DailyBudget < 0 {
		return fmt.Errorf("llm.daily_budget: must be a positive number of requests per day, not %d", l.DailyBudget)
	}
	return nil
}
