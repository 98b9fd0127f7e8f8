package configs

import "fmt"

// MeetingsConfig configures 三会一课: the kinds of meeting a branch must
// hold and how often, for the compliance calendar (/meetings).
type MeetingsConfig struct {
	Types []MeetingType `yaml:"types"`
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
