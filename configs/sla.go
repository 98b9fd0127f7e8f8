package configs

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SLAConfig configures suggestion tickets (意见建议): who answers which
// category, and the deadlines, reminders and escalations of the answers.
type SLAConfig struct {
	BusinessDays    int    `yaml:"business_days"`     // default 2
	CloseOfBusiness string `yaml:"close_of_business"` // default 17:30
	// RemindAt is the time of day of the reminder on the due day (default 09:00).
	RemindAt string `yaml:"remind_at"`
	// EscalateAfter is how long after the deadline an unanswered ticket is
	// escalated (default 0: at once).
	EscalateAfter     time.Duration `yaml:"escalate_after"`
	DefaultDepartment string        `yaml:"default_department"`
	// SupervisorChat is the title of the group chat that gets escalations;
	// empty (or not found) means the chats of the department's nearest
	// parent unit that has one.
	SupervisorChat string `yaml:"supervisor_chat"`
	// MaxLength is the longest suggestion or answer accepted, in characters
	// (default 1000).
	MaxLength  int              `yaml:"max_length"`
	Categories []CategoryConfig `yaml:"categories"`
}

// CategoryConfig routes suggestions with any of the keywords to a department.
type CategoryConfig struct {
	Name       string   `yaml:"name"`
	Department string   `yaml:"department"` // a unit name
	Keywords   []string `yaml:"keywords"`
}

// CloseOfBusinessOffset is close_of_business as an offset from midnight.
func (s SLAConfig) CloseOfBusinessOffset() time.Duration {
	d, _ := ParseClock(s.CloseOfBusiness)
	return d
}

// RemindAtOffset is remind_at as an offset from midnight.
func (s SLAConfig) RemindAtOffset() time.Duration {
	d, _ := ParseClock(s.RemindAt)
	return d
}

// ParseClock reads a time of day such as 17:30 as an offset from midnight.
func ParseClock(s string) (time.Duration, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("%q is not a time of day like 17:30", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

func init() {
	sectionDefaults = append(sectionDefaults, func(c *Config) {
		s := &c.SLA
		if s.BusinessDays == 0 {
			s.BusinessDays = 2
		}
		if s.CloseOfBusiness == "" {
			s.CloseOfBusiness = "17:30"
		}
		if s.RemindAt == "" {
			s.RemindAt = "09:00"
		}
		if s.MaxLength == 0 {
			s.MaxLength = 1000
		}
		if s.DefaultDepartment == "" && len(c.Units) > 0 {
			s.DefaultDepartment = c.Units[0].Name
		}
	})
	validators = append(validators, validateSLA)
}

func validateSLA(c *Config) error {
	s := c.SLA
	if s.BusinessDays < 1 || s.BusinessDays > 30 {
		return fmt.Errorf("sla.business_days: must be between 1 and 30, not %d", s.BusinessDays)
	}
	cob, err := ParseClock(s.CloseOfBusiness)
	if err != nil {
		return fmt.Errorf("sla.close_of_business: %w", err)
	}
	remind, err := ParseClock(s.RemindAt)
	if err != nil {
		return fmt.Errorf("sla.remind_at: %w", err)
	}
	if remind >= cob {
		return fmt.Errorf("sla.remind_at: %s must be before close_of_business %s", s.RemindAt, s.CloseOfBusiness)
	}
	if s.EscalateAfter < 0 {
		return fmt.Errorf("sla.escalate_after: cannot be negative, not %s", s.EscalateAfter)
	}
	if s.MaxLength < 10 || s.MaxLength > 3500 {
		return fmt.Errorf("sla.max_length: must be between 10 and 3500, not %d", s.MaxLength)
	}
	units := map[string]bool{}
	c.WalkUnits(func(u UnitConfig, _ string) { units[u.Name] = true })
	if s.DefaultDepartment != "" && !units[s.DefaultDepartment] {
		return fmt.Errorf("sla.default_department: unknown unit %q", s.DefaultDepartment)
	}
	names := map[string]bool{}
	for i, cat := range s.Categories {
		p := fmt.Sprintf("sla.categories[%d]", i)
		if strings.TrimSpace(cat.Name) == "" {
			return fmt.Errorf("%s.name: a category needs a name", p)
		}
		if names[cat.Name] {
			return fmt.Errorf("%s.name: category %q appears twice", p, cat.Name)
		}
		names[cat.Name] = true
		if !units[cat.Department] {
			return fmt.Errorf("%s.department: unknown unit %q", p, cat.Department)
		}
		if len(cat.Keywords) == 0 {
			return fmt.Errorf("%s.keywords: a category needs at least one keyword", p)
		}
		for j, k := range cat.Keywords {
			if strings.TrimSpace(k) == "" {
				return fmt.Errorf("%s.keywords[%d]: empty keyword", p, j)
			}
		}
	}
	return nil
}
