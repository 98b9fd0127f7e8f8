package configs

import (
	"strings"
	"testing"
	"time"
)

// TestFollowupValidationNamesKey: a wrong follow-up value is refused with
// an error that names its key.
func TestFollowupValidationNamesKey(t *testing.T) {
	units := "units:\n  - name: 校党委\n    children:\n      - name: 第一党支部\n"
	tests := []struct{ yaml, want string }{
		{"followup:\n  receipt_window: 36h\n  remind_every: 0s\n  study_due: 72h\n  offsets:\n    study: [-24h, -2h]\n", ""},
		{"followup:\n  receipt_window: 30m\n", "followup.receipt_window: 30m0s must be between 1h and 2160h"},
		{"followup:\n  receipt_window: 2400h\n", "followup.receipt_window"},
		{"followup:\n  remind_every: -1m\n", "followup.remind_every: -1m0s must be between 0 (no limit) and 24h"},
		{"followup:\n  remind_every: 48h\n", "followup.remind_every"},
		{"followup:\n  study_due: 30m\n", "followup.study_due: 30m0s must be between 1h"},
		{"followup:\n  offsets:\n    study: [1h]\n", "followup.offsets.study[0]"},
		{"study:\n  pushes:\n    - {name: a, column: x, units: [第一党支部], cron: \"0 8 * * *\", due: 10m}\n", "study.pushes[0].due: 10m0s"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(units+tt.yaml), "test")
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tt.yaml, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: error %v, want one containing %q", tt.yaml, err, tt.want)
		}
	}
	c, err := Parse([]byte(units), "test")
	if err != nil {
		t.Fatal(err)
	}
	if f := c.Followup; f.ReceiptWindow != 7*24*time.Hour || f.RemindInterval() != 30*time.Minute || f.StudyDue != 7*24*time.Hour {
		t.Errorf("defaults: receipt_window %s, remind_every %s, study_due %s; want 168h, 30m, 168h", f.ReceiptWindow, f.RemindInterval(), f.StudyDue)
	}
}
