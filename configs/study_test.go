package configs

import (
	"strings"
	"testing"
)

func TestStudyValidationNamesKey(t *testing.T) {
	units := "units:\n  - name: 校党委\n    children:\n      - name: 第一党支部\n"
	push := func(body string) string { return units + "study:\n  pushes:\n    - " + body + "\n" }
	tests := []struct{ yaml, want string }{
		{push(`{name: a, column: 理论学习, units: [第一党支部], cron: "0 8 * * *", rule: workdays}`), ""},
		{push(`{name: a, column: 理论学习, units: [第一党支部], cron: "0 8 * * *", rule: lunar:08-15}`), ""},
		{push(`{name: a, column: 理论学习, units: [第一党支部], cron: "@daily"}`), ""},
		{push(`{name: a, column: 理论学习, units: [第三党支部], cron: "0 8 * * *"}`), `study.pushes[0].units[0]: unknown unit "第三党支部"`},
		{push(`{name: a, column: 理论学习, units: [第一党支部], cron: "every morning"}`), "study.pushes[0].cron"},
		{push(`{name: a, column: 理论学习, units: [第一党支部], cron: "0 8 * * *", rule: weekends}`), "study.pushes[0].rule"},
		{push(`{name: a, column: 理论学习, units: [第一党支部], cron: "0 8 * * *", rule: "lunar:8-15"}`), "study.pushes[0].rule: lunar date"},
		{push(`{name: a, column: 理论学习, units: [第一党支部], cron: "0 8 * * *", rule: "lunar:13-01"}`), "study.pushes[0].rule"},
		{push(`{name: "a:b", column: x, units: [第一党支部], cron: "0 8 * * *"}`), "study.pushes[0].name"},
		{push(`{name: a, column: x, item: y, units: [第一党支部], cron: "0 8 * * *"}`), "study.pushes[0]: give column or item"},
		{push(`{name: a, units: [第一党支部], cron: "0 8 * * *"}`), "study.pushes[0]: give a column"},
		{push(`{name: a, column: x, cron: "0 8 * * *"}`), "study.pushes[0].units"},
		{units + "study:\n  pushes:\n    - {name: a, column: x, units: [第一党支部], cron: \"0 8 * * *\"}\n    - {name: a, column: y, units: [第一党支部], cron: \"0 9 * * *\"}\n", `study.pushes[1].name: push "a" appears twice`},
		{units + "study:\n  tags:\n    支部: [第九党支部]\n", `study.tags.支部[0]: unknown unit "第九党支部"`},
		{units + "study:\n  catch_up: -1h\n", "study.catch_up"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.yaml), "test")
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tt.yaml, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: error %v, want one containing %q", tt.yaml, err, tt.want)
		}
	}
}
