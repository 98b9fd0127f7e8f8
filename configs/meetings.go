package configs

import (
	"fmt"
	"strings"
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
	// Titles, when set, make a meeting of this type expect only the
	// roster entries of its unit whose title (the roster's 角色 column) is
	// one of them: a 支委会 the committee. Empty: the whole roster.
	Titles []string `yaml:"titles"`
}

// CommitteeTitles are the default titles of a 支委会: the branch
// committee as rosters write it.
var CommitteeTitles = []string{"书记", "支部书记", "副书记", "组织委员", "宣传委员", "纪检委员", "委员"}

// TitlesByType lists, per meeting type that has them, its titles.
func (m MeetingsConfig) TitlesByType() map[string][]string {
	out := map[string][]string{}
	for _, t := range m.Types {
		if len(t.Titles) > 0 {
			out[t.Name] = t.Titles
		}
	}
	return out
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
				{Name: "支部党员大会", Every: "quarter"}, {Name: "支委会", Every: "month", Titles: CommitteeTitles},
				{Name: "党小组会", Every: "month"}, {Name: "党课", Every: "quarter"},
				{Name: "主题党日", Every: "month"}, {Name: "组织生活会", Every: "year"}, {Name: "民主评议党员", Every: "year"},
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
			for j, title := range t.Titles {
				if strings.TrimSpace(title) == "" || strings.Contains(title, ",") {
					return fmt.Errorf("meetings.types[%d].titles[%d]: a roster title, not %q", i, j, title)
				}
			}
			switch t.Every {
			case "month", "quarter", "year":
			default:
				return fmt.Errorf("meetings.types[%d].every: must be month, quarter or year, not %q", i, t.Every)
			}
		}
		return nil
	})
}
