package configs

import (
	"strings"
	"testing"
	"time"
)

func TestSLADefaults(t *testing.T) {
	c, err := Parse([]byte("units:\n  - name: 校党委\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	s := c.SLA
	if s.BusinessDays != 2 || s.CloseOfBusinessOffset() != 17*time.Hour+30*time.Minute || s.RemindAtOffset() != 9*time.Hour ||
		s.DefaultDepartment != "校党委" || s.MaxLength != 1000 || s.EscalateAfter != 0 {
		t.Fatalf("defaults: %+v", s)
	}
}

func TestSLAValidationNamesTheKey(t *testing.T) {
	base := "units:\n  - name: 校党委\n    children:\n      - name: 组织部\nsla:\n"
	tests := []struct{ yaml, want string }{
		{"  business_days: 0\n  close_of_business: '25:00'\n", "sla.close_of_business"},
		{"  business_days: 31\n", "sla.business_days: must be between 1 and 30"},
		{"  remind_at: '18:00'\n", "sla.remind_at: 18:00 must be before close_of_business"},
		{"  remind_at: morning\n", "sla.remind_at"},
		{"  escalate_after: -1h\n", "sla.escalate_after"},
		{"  max_length: 5\n", "sla.max_length"},
		{"  default_department: 宣传部\n", `sla.default_department: unknown unit "宣传部"`},
		{"  categories:\n    - {name: 党务, department: 组织部, keywords: [党费]}\n    - {name: 后勤, department: 组织部, keywords: [宿舍]}\n    - {name: x, department: 宣传部, keywords: [a]}\n",
			`sla.categories[2].department: unknown unit "宣传部"`},
		{"  categories:\n    - {name: 党务, department: 组织部, keywords: []}\n", "sla.categories[0].keywords"},
		{"  categories:\n    - {name: 党务, department: 组织部, keywords: [a]}\n    - {name: 党务, department: 组织部, keywords: [b]}\n", `sla.categories[1].name: category "党务" appears twice`},
		{"  categories:\n    - {name: '', department: 组织部, keywords: [a]}\n", "sla.categories[0].name"},
		{"  categories:\n    - {name: a, department: 组织部, keywords: [' ']}\n", "sla.categories[0].keywords[0]"},
		{"  categroies: []\n", `unknown key "sla.categroies"`},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(base+tt.yaml), "test")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want it to contain %q", tt.yaml, err, tt.want)
		}
	}
}
