package roster

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/branchbot/branchbot/bot"
)

func tree() *bot.UnitTree {
	return bot.NewUnitTree([]bot.Unit{{ID: 1, Name: "校党委"}, {ID: 2, Name: "第一党支部", ParentID: 1}})
}

func TestParseReportsEveryBadRow(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.csv")
	os.WriteFile(p, []byte("\ufeff姓名,学号,单位,角色,手机\n张三,2023001,第一党支部,书记,13800000000\n,2023002,第一党支部,,\n李四,2023001,第一党支部,,\n王五,2023003,不存在支部,,\n\n赵六,2023004,第一党支部,党员,123\n孙七,2023005,校党委,管理员,\n"), 0o644)
	res, err := ReadFile(p, tree())
	if err != nil {
		t.Fatal(err)
	}
	got := res.Err().Error()
	for _, want := range []string{"第 3 行：缺少姓名", "第 4 行：学号/工号 2023001 与第 2 行重复", "第 5 行：单位「不存在支部」不存在", "第 7 行：手机号 123 格式不正确"} {
		if !strings.Contains(got, want) {
			t.Errorf("errors %q lack %q", got, want)
		}
	}
	if len(res.Bad) != 4 || len(res.Entries) != 2 {
		t.Fatalf("bad=%d entries=%d", len(res.Bad), len(res.Entries))
	}
	if res.Entries[0].Role != bot.RoleSecretary || res.Entries[1].Role != bot.RoleAdmin || res.Entries[1].UnitID != 1 {
		t.Fatalf("entries %+v", res.Entries)
	}
}

func TestReadXLSX(t *testing.T) {
	f := excelize.NewFile()
	rows := [][]any{{"姓名", "学号/工号", "单位", "角色"}, {"张三", "2023001", "第一党支部", "党员"}}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		f.SetSheetRow("Sheet1", cell, &r)
	}
	p := filepath.Join(t.TempDir(), "r.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	res, err := ReadFile(p, tree())
	if err != nil || len(res.Entries) != 1 || res.Entries[0].Name != "张三" || res.Entries[0].UnitID != 2 {
		t.Fatalf("res=%+v err=%v", res, err)
	}
}

func TestMissingHeaderAndType(t *testing.T) {
	if _, err := Parse([][]string{{"名字", "学号"}}, tree()); err == nil || !strings.Contains(err.Error(), "单位") {
		t.Fatalf("err = %v", err)
	}
	if _, err := ReadFile("x.txt", tree()); err == nil {
		t.Fatal("want error for .txt")
	}
}

// What Chinese Excel saves as "CSV (逗号分隔)" is GBK; "CSV UTF-8" starts
// with a byte-order mark. Both read the same; bytes that are neither say
// so instead of failing on the header.
func TestCSVEncodings(t *testing.T) {
	const text = "姓名,学号/工号,单位,角色\r\n张三,2023001,第一党支部,书记\r\n李四,2023002,第一党支部,党员\r\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"utf-8": text, "utf-8 with BOM": "\ufeff" + text, "gbk": gbk} {
		res, err := ReadCSV(strings.NewReader(data), tree())
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(res.Entries) != 2 || res.Entries[0].Name != "张三" || res.Entries[0].Role != bot.RoleSecretary || res.Entries[1].Name != "李四" || len(res.Bad) != 0 {
			t.Errorf("%s: read %+v", name, res)
		}
	}
	// UTF-16, as "Unicode 文本" saves it: neither encoding.
	utf16 := "\xff\xfeY\x59\x00"
	if _, err := ReadCSV(strings.NewReader(utf16), tree()); !errors.Is(err, ErrEncoding) {
		t.Errorf("UTF-16 bytes: %v, want ErrEncoding", err)
	}
}
