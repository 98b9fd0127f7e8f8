package configs

import (
	"fmt"
	"time"
)

// FollowupConfig configures the follow-up of tasks (who has not checked in
// or joined yet): the automatic reminders of each task kind and the quiet
// hours in which none is sent.
type FollowupConfig struct {
	// Offsets are the instants, relative to a task's deadline, at which its
	// members who have not done it yet are reminded (-24h: a day before).
	// A kind left out has its default; an empty list turns it off.
	Offsets FollowupOffsets `yaml:"offsets"`
	// QuietStart and QuietEnd bound the quiet hours (times of day; the
	// span may cross midnight): a reminder due then waits for QuietEnd.
	QuietStart string `yaml:"quiet_start"`
	QuietEnd   string `yaml:"quiet_end"`
	// MentionChunk is how many members one group reminder names at most.
	MentionChunk int `yaml:"mention_chunk"`
	// FlagAfter: a member who missed this many check-in sessions in a row
	// (not checked in, not made up, no approved leave) is flagged to their
	// unit's secretaries privately, once per streak. 0 turns it off.
	FlagAfter *int `yaml:"flag_after"`
	// StudyDue is how long after a push its study item is due (学习截止),
	// unless the push says otherwise (study.pushes[].due).
	StudyDue time.Duration `yaml:"study_due"`
	// ReceiptWindow is how long after a notice with confirm=yes went out
	// its readers can still confirm it with 收到 (and be reminded).
	ReceiptWindow time.Duration `yaml:"receipt_window"`
	// RemindEvery is the least time between two /remind of the same task
	// by hand; automatic rounds are not counted. 0 turns the limit off.
	RemindEvery *time.Duration `yaml:"remind_every"`
}

// RemindInterval is remind_every with its default.
func (f FollowupConfig) RemindInterval() time.Duration {
	if f.RemindEvery == nil {
		return 30 * time.Minute
	}
	return *f.RemindEvery
}

// studyDueOK checks a study due period; zero is allowed where a default
// applies.
func studyDueOK(d time.Duration, zeroOK bool) error {
	if d == 0 && zeroOK {
		return nil
	}
	if d < time.Hour || d > 90*24*time.Hour {
		return fmt.Errorf("%s must be between 1h and 2160h (90 days)", d)
	}
	if d%time.Minute != 0 {
		return fmt.Errorf("%s must be whole minutes", d)
	}
	return nil
}

// Flag is flag_after with its default.
func (f FollowupConfig) Flag() int {
	if f.FlagAfter == nil {
		return 3
	}
	return *f.FlagAfter
}

// FollowupOffsets are the automatic reminders of each task kind.
type FollowupOffsets struct {
	Relay   []time.Duration `yaml:"relay"`
	Checkin []time.Duration `yaml:"checkin"`
	Study   []time.Duration `yaml:"study"`
}

// QuietHours is the quiet span as offsets from midnight.
func (f FollowupConfig) QuietHours() (start, end time.Duration) {
	start, _ = ParseClock(f.QuietStart)
	end, _ = ParseClock(f.QuietEnd)
	return start, end
}

func init() {
	sectionDefaults = append(sectionDefaults, func(c *Config) {
		f := &c.Followup
		if f.Offsets.Relay == nil {
			f.Offsets.Relay = []time.Duration{-24 * time.Hour, -time.Hour}
		}
		if f.Offsets.Checkin == nil {
			f.Offsets.Checkin = []time.Duration{-10 * time.Minute}
		}
		if f.Offsets.Study == nil {
			f.Offsets.Study = []time.Duration{-24 * time.Hour}
		}
		if f.StudyDue == 0 {
			f.StudyDue = 7 * 24 * time.Hour
		}
		if f.ReceiptWindow == 0 {
			f.ReceiptWindow = 7 * 24 * time.Hour
		}
		if f.QuietStart == "" {
			f.QuietStart = "22:00"
		}
		if f.QuietEnd == "" {
			f.QuietEnd = "07:30"
		}
		if f.MentionChunk == 0 {
			f.MentionChunk = 20
		}
	})
	validators = append(validators, func(c *Config) error {
		f := c.Followup
		if _, err := ParseClock(f.QuietStart); err != nil {
			return fmt.Errorf("followup.quiet_start: %w", err)
		}
		if _, err := ParseClock(f.QuietEnd); err != nil {
			return fmt.Errorf("followup.quiet_end: %w", err)
		}
		if n := f.Flag(); n < 0 || n > 50 {
			return fmt.Errorf("followup.flag_after: must be 0 (off) to 50, not %d", n)
		}
		if f.MentionChunk < 1 || f.MentionChunk > 100 {
			return fmt.Errorf("followup.mention_chunk: must be 1–100, not %d", f.MentionChunk)
		}
		if err := studyDueOK(f.StudyDue, false); err != nil {
			return fmt.Errorf("followup.study_due: %w", err)
		}
		if w := f.ReceiptWindow; w < time.Hour || w > 90*24*time.Hour {
			return fmt.Errorf("followup.receipt_window: %s must be between 1h and 2160h (90 days)", w)
		}
		if e := f.RemindInterval(); e < 0 || e > 24*time.Hour {
			return fmt.Errorf("followup.remind_every: %s must be between 0 (no limit) and 24h", e)
		}
		for kind, offs := range map[string][]time.Duration{"relay": f.Offsets.Relay, "checkin": f.Offsets.Checkin, "study": f.Offsets.Study} {
			seen := map[time.Duration]bool{}
			for i, o := range offs {
				if o < -30*24*time.Hour || o > 0 {
					return fmt.Errorf("followup.offsets.%s[%d]: %s must be between -720h and 0 (before the deadline)", kind, i, o)
				}
				if o%time.Minute != 0 {
					return fmt.Errorf("followup.offsets.%s[%d]: %s must be whole minutes", kind, i, o)
				}
				if seen[o] {
					return fmt.Errorf("followup.offsets.%s[%d]: %s appears twice", kind, i, o)
				}
				seen[o] = true
			}
		}
		return nil
	})
}
