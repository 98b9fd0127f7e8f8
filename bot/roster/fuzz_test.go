package roster

import (
	"bytes"
	"strings"
	"testing"
)

// checkResult: every entry the parser accepts is complete, in a known
// unit, unique by number; every bad row has a line.
func checkResult(t *testing.T, res Result) {
	t.Helper()
	seen := map[string]bool{}
	for _, e := range res.Entries {
		if e.Name == "" || e.Number == "" || e.UnitID == 0 || seen[e.Number] {
			t.Fatalf("accepted a bad entry %+v", e)
		}
		seen[e.Number] = true
	}
	for _, b := range res.Bad {
		if b.Line < 2 || b.Reason == "" {
			t.Fatalf("bad row without a line or reason: %+v", b)
		}
	}
}

// FuzzReadCSV: any CSV file is read or refused with a reason, never a panic.
func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("姓名,学号/工号,单位,角色,手机\n张三,2023001,一支部,党员,13800000000\n"))
	f.Add([]byte("\ufeff姓名,学号,支部\n李四,1,一支部\n,2,一支部\n李四,1,二支部\n"))
	f.Add([]byte("name,number,unit\n\"a,b\",\"x\ny\",一支部\n"))
	f.Add([]byte("姓名,学号,单位\n\"unterminated,1,一支部\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ReadCSV(bytes.NewReader(data), tree())
		if err != nil {
			return
		}
		checkResult(t, res)
	})
}

// FuzzParseRows: rows as an .xlsx sheet gives them (lines of tab-separated
// cells) are read or refused, never a panic.
func FuzzParseRows(f *testing.F) {
	f.Add([]byte("姓名\t学号/工号\t单位\t角色\n张三\t2023001\t一支部\t书记\n\t\t\t\n王五\t2023003\t不存在\t"))
	f.Add([]byte("单位\t姓名\t工号\n一支部\t赵六\tT1\n一支部\t赵六\tT1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// A sheet's cells are text: excelize hands over valid UTF-8.
		s := strings.ToValidUTF8(string(b), "\uFFFD")
		var rows [][]string
		for _, line := range strings.Split(s, "\n") {
			rows = append(rows, strings.Split(line, "\t"))
		}
		res, err := Parse(rows, tree())
		if err != nil {
			return
		}
		checkResult(t, res)
	})
}
