package configs

import (
	"fmt"
	"time"
)

// MeetingsConfig configures 三会一课: the kinds of meeting a branch must
// hold and how often, for the compliance calendar (/meetings).
type MeetingsConfig struct {
	Types []MeetingType `yaml:"types"`
	// RemindBefore: this long before a month, quarter or year ends
	// without its meeting, the unit's secretaries are reminded privately
	// (default 7 days; 0 turns it off).
	RemindBefore *time.Duration `yaml:"remind_before"`
}

// Remind is remind_before with its default.
func (m MeetingsConfig) Remind() time.Duration {
	if m.RemindBefore == nil {
		return 7 * 24 * time.Hour
	}
	return *m.RemindBefore
}

// MeetingType is one kind of meeting and how often it is due: every
// month, quarter or year.
type MeetingType struct {
	Name  string `yaml:"name"`
	Every string `yaml:"every"`
}

// Names are the configured meeting types' names.
func (m MeetingsConfig) Names() []string {
	out := make([]string, len(m.Types))
	for i, t := range m.Types {
		out[i] = t.Name
	}
	return out
}

func init() {
	sectionDefaults = append(sectionDefaults, func(c *Config) {
		if c.Meetings.Types == nil {
			c.Meetings.Types = []MeetingType{
				{"支部党员大会", "quarter"}, {"支委会", "month"}, {"党小组会", "month"}, {"党课", "quarter"},
				{"主题党日", "month"}, {"组织生活会", "year"}, {"民主评议党员", "year"},
			}
		}
	})
	validators = append(validators, func(c *Config) error {
		if d := c.Meetings.Remind(); d < 0 || d > 60*24*time.Hour {
			return fmt.Errorf("meetings.remind_before: must be 0 (off) to 1440h, not %s", d)
		}
		seen := map[string]bool{}
		for i, t := range c.Meetings.Types {
			if t.Name == "" {
				return fmt.Errorf("meetings.types[%d].name: a meeting type needs a name", i)
			}
			if seen[t.Name] {
				return fmt.Errorf("meetings.types[%d].name: %q appears twice", i, t.Name)
			}
			seen[t.Name] = true
			switch t.Every {
			case "month", "quarter", "year":
			default:
				return fmt.Errorf("meetings.types[%d].every: must be month, quarter or year, not %q", i, t.Every)
			}
		}
		return nil
	})
}
