package configs

import (
	"fmt"
	"strings"
	"time"
)

// LinkConfig says how a chat identity is linked to a roster entry: with a
// one-time link code, or, for ordinary members, by a secretary's approval;
// how long codes live; and how many failed attempts are allowed.
type LinkConfig struct {
	// CodeTTL is how long a link code may be used after it is issued
	// (default 7 days).
	CodeTTL time.Duration `yaml:"code_ttl"`
	// Approval lets an ordinary member without a code ask a secretary of
	// their unit to approve the link (default true). Privileged entries
	// (secretary, staff, admin) always need a code.
	Approval *bool `yaml:"approval"`
	// MaxFailures is how many failed attempts one identity may make within
	// FailureWindow (default 5); MaxFailuresPerEntry how many may be made
	// on one roster entry by anyone (default 10).
	MaxFailures         int           `yaml:"max_failures"`
	MaxFailuresPerEntry int           `yaml:"max_failures_per_entry"`
	FailureWindow       time.Duration `yaml:"failure_window"` // default 1h
	// Preset links identities at every start without a code, as
	// "platform:user_id=学号/工号": the operator vouches for them (the demo
	// links its terminal speakers this way).
	Preset []string `yaml:"preset"`
}

// ApprovalAllowed reports whether members may link by a secretary's approval.
func (l LinkConfig) ApprovalAllowed() bool { return l.Approval == nil || *l.Approval }

// PresetLink is one roster.link.preset entry.
type PresetLink struct {
	Platform, UserID, Number string
}

// ParsePreset reads "platform:user_id=number".
func ParsePreset(s string) (PresetLink, error) {
	who, number, ok := strings.Cut(strings.TrimSpace(s), "=")
	platform, user, ok2 := strings.Cut(who, ":")
	platform, user, number = strings.TrimSpace(platform), strings.TrimSpace(user), strings.TrimSpace(number)
	if !ok || !ok2 || platform == "" || user == "" || number == "" {
		return PresetLink{}, fmt.Errorf("%q must be platform:user_id=学号/工号", s)
	}
	return PresetLink{Platform: platform, UserID: user, Number: number}, nil
}

func init() {
	sectionDefaults = append(sectionDefaults, func(c *Config) {
		l := &c.Roster.Link
		if l.CodeTTL == 0 {
			l.CodeTTL = 7 * 24 * time.Hour
		}
		if l.MaxFailures == 0 {
			l.MaxFailures = 5
		}
		if l.MaxFailuresPerEntry == 0 {
			l.MaxFailuresPerEntry = 10
		}
		if l.FailureWindow == 0 {
			l.FailureWindow = time.Hour
		}
	})
	validators = append(validators, func(c *Config) error {
		l := c.Roster.Link
		if l.CodeTTL < time.Hour || l.CodeTTL > 90*24*time.Hour {
			return fmt.Errorf("roster.link.code_ttl: must be between 1h and 2160h (90 days), not %s", l.CodeTTL)
		}
		if l.MaxFailures < 1 || l.MaxFailures > 100 {
			return fmt.Errorf("roster.link.max_failures: must be between 1 and 100, not %d", l.MaxFailures)
		}
		if l.MaxFailuresPerEntry < 1 || l.MaxFailuresPerEntry > 1000 {
			return fmt.Errorf("roster.link.max_failures_per_entry: must be between 1 and 1000, not %d", l.MaxFailuresPerEntry)
		}
		if l.FailureWindow < time.Minute || l.FailureWindow > 7*24*time.Hour {
			return fmt.Errorf("roster.link.failure_window: must be between 1m and 168h, not %s", l.FailureWindow)
		}
		for i, p := range l.Preset {
			if _, err := ParsePreset(p); err != nil {
				return fmt.Errorf("roster.link.preset[%d]: %w", i, err)
			}
		}
		return nil
	})
}
