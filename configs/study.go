package configs

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// StudyConfig configures study content, scheduled pushes and broadcasts.
type StudyConfig struct {
	// ContentDir holds the Markdown content files (branchbot content import).
	ContentDir string `yaml:"content_dir"`
	// CatchUp is how late a missed push occurrence may still be sent.
	CatchUp time.Duration `yaml:"catch_up"`
	// NoticeChat is the title of a group that gets admin notices (skipped
	// pushes), besides the admins' private chats.
	NoticeChat string `yaml:"notice_chat"`
	// Tags name sets of units for /broadcast #tag.
	Tags   map[string][]string `yaml:"tags"`
	Pushes []PushConfig        `yaml:"pushes"`
}

// PushConfig is one scheduled push.
type PushConfig struct {
	Name   string   `yaml:"name"`
	Column string   `yaml:"column"` // the next unread item of this column
	Item   string   `yaml:"item"`   // or a fixed item (its title or slug)
	Units  []string `yaml:"units"`
	Cron   string   `yaml:"cron"`
	Rule   string   `yaml:"rule"` // every_day, workdays, holidays_only, lunar:MM-DD
	Text   string   `yaml:"text"` // optional text instead of content, or before it
	// Due is how long after the push its item is to be studied by (the
	// follow-up's deadline); 0: followup.study_due.
	Due time.Duration `yaml:"due"`
}

// CronParser parses push cron expressions: five fields (minute hour
// day-of-month month day-of-week) or descriptors such as @daily.
var CronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParsePushRule checks a push rule and returns its kind (every_day,
// workdays, holidays_only or lunar); for lunar:MM-DD also the lunar month
// and day. A leap month is written lunar:-MM-DD and returned negative, as
// lunar-go numbers leap months.
func ParsePushRule(rule string) (kind string, month, day int, err error) {
	switch rule {
	case "", "every_day":
		return "every_day", 0, 0, nil
	case "workdays", "holidays_only":
		return rule, 0, 0, nil
	}
	md, ok := strings.CutPrefix(rule, "lunar:")
	if !ok {
		return "", 0, 0, fmt.Errorf("must be every_day, workdays, holidays_only or lunar:MM-DD, not %q", rule)
	}
	sign := 1
	if rest, neg := strings.CutPrefix(md, "-"); neg {
		sign, md = -1, rest
	}
	if _, err := fmt.Sscanf(md, "%d-%d", &month, &day); err != nil || month < 1 || month > 12 || day < 1 || day > 30 || len(md) != 5 {
		return "", 0, 0, fmt.Errorf("lunar date must be lunar:MM-DD (e.g. lunar:08-15), not %q", rule)
	}
	return "lunar", sign * month, day, nil
}

func init() {
	validators = append(validators, validateStudy)
}

func validateStudy(c *Config) error {
	units := map[string]bool{}
	c.WalkUnits(func(u UnitConfig, _ string) { units[u.Name] = true })
	if c.Study.CatchUp < 0 {
		return fmt.Errorf("study.catch_up: cannot be negative")
	}
	for tag, us := range c.Study.Tags {
		if strings.TrimSpace(tag) == "" || strings.ContainsAny(tag, " #") {
			return fmt.Errorf("study.tags: tag %q must be one word without '#'", tag)
		}
		if len(us) == 0 {
			return fmt.Errorf("study.tags.%s: list at least one unit", tag)
		}
		for i, u := range us {
			if !units[u] {
				return fmt.Errorf("study.tags.%s[%d]: unknown unit %q", tag, i, u)
			}
		}
	}
	seen := map[string]bool{}
	for i, p := range c.Study.Pushes {
		key := fmt.Sprintf("study.pushes[%d]", i)
		if strings.TrimSpace(p.Name) == "" || strings.ContainsAny(p.Name, ": \t") {
			return fmt.Errorf("%s.name: a push needs a name without spaces or ':', not %q", key, p.Name)
		}
		if seen[p.Name] {
			return fmt.Errorf("%s.name: push %q appears twice", key, p.Name)
		}
		seen[p.Name] = true
		if p.Column != "" && p.Item != "" {
			return fmt.Errorf("%s: give column or item, not both", key)
		}
		if p.Column == "" && p.Item == "" && strings.TrimSpace(p.Text) == "" {
			return fmt.Errorf("%s: give a column, an item or a text", key)
		}
		if len(p.Units) == 0 {
			return fmt.Errorf("%s.units: list at least one unit", key)
		}
		for j, u := range p.Units {
			if !units[u] {
				return fmt.Errorf("%s.units[%d]: unknown unit %q", key, j, u)
			}
		}
		if _, err := CronParser.Parse(p.Cron); err != nil {
			return fmt.Errorf("%s.cron: %q: %v", key, p.Cron, err)
		}
		if _, _, _, err := ParsePushRule(p.Rule); err != nil {
			return fmt.Errorf("%s.rule: %v", key, err)
		}
		if err := studyDueOK(p.Due, true); err != nil {
			return fmt.Errorf("%s.due: %w", key, err)
		}
	}
	return nil
}
