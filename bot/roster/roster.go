// Package roster reads roster files (花名册) in .csv or .xlsx form and checks
// every row against the organisation tree, reporting each bad row with its
// line number. A CSV file may be UTF-8 (with or without a byte-order mark)
// or GBK/GB18030, which Chinese Excel writes for "CSV (逗号分隔)".
package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/branchbot/branchbot/bot"
)

// RowError is one bad row.
type RowError struct {
	Line   int // 1-based line (row) in the file, the header being line 1
	Reason string
}

func (e RowError) Error() string { return fmt.Sprintf("第 %d 行：%s", e.Line, e.Reason) }

// Result is a parsed roster file.
type Result struct {
	Entries []bot.RosterEntry
	Bad     []RowError
}

// Err joins the row errors, or nil.
func (r Result) Err() error {
	if len(r.Bad) == 0 {
		return nil
	}
	errs := make([]error, len(r.Bad))
	for i, b := range r.Bad {
		errs[i] = b
	}
	return errors.Join(errs...)
}

// ReadFile parses a .csv or .xlsx roster (first sheet).
func ReadFile(path string, units *bot.UnitTree) (Result, error) {
	var rows [][]string
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		f, err := os.Open(path)
		if err != nil {
			return Result{}, fmt.Errorf("open roster: %w", err)
		}
		defer f.Close()
		res, err := ReadCSV(f, units)
		if err != nil {
			return res, fmt.Errorf("read roster %s: %w", path, err)
		}
		return res, nil
	case ".xlsx":
		f, err := excelize.OpenFile(path)
		if err != nil {
			return Result{}, fmt.Errorf("open roster %s: %w", path, err)
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			return Result{}, fmt.Errorf("roster %s has no sheet", path)
		}
		rows, err = f.GetRows(sheets[0])
		if err != nil {
			return Result{}, fmt.Errorf("read roster %s: %w", path, err)
		}
	default:
		return Result{}, fmt.Errorf("roster %s: only .csv and .xlsx files can be imported", path)
	}
	return parse(rows, nil, units)
}

// ErrEncoding is returned for a CSV file that is neither UTF-8 nor
// GBK/GB18030 text.
var ErrEncoding = errors.New(`the file is neither UTF-8 nor GBK/GB18030 text; in Excel save it as "CSV UTF-8 (逗号分隔)" or as .xlsx`)

// utf8Text returns CSV bytes as UTF-8 without a byte-order mark: UTF-8 as it
// is, anything else decoded as GB18030 (a superset of GBK) if that decodes
// every byte.
func utf8Text(b []byte) ([]byte, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if utf8.Valid(b) {
		return b, nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
		return nil, ErrEncoding
	}
	return out, nil
}

// ReadCSV parses a CSV roster, UTF-8 or GBK/GB18030.
func ReadCSV(in io.Reader, units *bot.UnitTree) (Result, error) {
	var (
		rows  [][]string
		lines []int
	)
	raw, err := io.ReadAll(in)
	if err != nil {
		return Result{}, err
	}
	text, err := utf8Text(raw)
	if err != nil {
		return Result{}, err
	}
	r := csv.NewReader(bytes.NewReader(text))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Result{}, err
		}
		line, _ := r.FieldPos(0)
		rows, lines = append(rows, rec), append(lines, line)
	}
	return parse(rows, lines, units)
}

var phoneRE = regexp.MustCompile(`^1\d{10}$`)

// column names accepted for each field.
var headers = map[string][]string{
	"name":   {"姓名", "name"},
	"number": {"学号/工号", "学号", "工号", "学号／工号", "number"},
	"unit":   {"单位", "支部", "班级", "unit"},
	"role":   {"角色", "职务", "role"},
	"phone":  {"手机", "手机号", "电话", "phone"},
}

// Parse checks rows (the first is the header, on line 1, each next row on the
// next line) against the units.
func Parse(rows [][]string, units *bot.UnitTree) (Result, error) { return parse(rows, nil, units) }

// parse is Parse with the file line of each row, where rows and lines differ
// (a CSV file skips blank lines).
func parse(rows [][]string, lines []int, units *bot.UnitTree) (Result, error) {
	if len(rows) == 0 {
		return Result{}, errors.New("roster is empty: it needs a header row (姓名, 学号/工号, 单位, 角色, 手机)")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		for field, names := range headers {
			for _, n := range names {
				if strings.EqualFold(h, n) {
					col[field] = i
				}
			}
		}
	}
	var missing []string
	for _, f := range []string{"name", "number", "unit"} {
		if _, ok := col[f]; !ok {
			missing = append(missing, headers[f][0])
		}
	}
	if len(missing) > 0 {
		return Result{}, fmt.Errorf("roster header lacks column(s) %s", strings.Join(missing, ", "))
	}
	get := func(row []string, f string) string {
		i, ok := col[f]
		if !ok || i >= len(row) {
			return ""
		}
		return strings.TrimSpace(row[i])
	}
	var res Result
	seen := map[string]int{}
	for n, row := range rows[1:] {
		line := n + 2
		if lines != nil {
			line = lines[n+1]
		}
		if strings.TrimSpace(strings.Join(row, "")) == "" {
			continue
		}
		e := bot.RosterEntry{
			Name:   get(row, "name"),
			Number: get(row, "number"),
			Title:  get(row, "role"),
			Phone:  get(row, "phone"),
		}
		unit := get(row, "unit")
		var reasons []string
		if e.Name == "" {
			reasons = append(reasons, "缺少姓名")
		}
		if e.Number == "" {
			reasons = append(reasons, "缺少学号/工号")
		} else if prev, dup := seen[e.Number]; dup {
			reasons = append(reasons, fmt.Sprintf("学号/工号 %s 与第 %d 行重复", e.Number, prev))
		}
		if u, ok := units.ByName(unit); ok {
			e.UnitID = u.ID
		} else if unit == "" {
			reasons = append(reasons, "缺少单位")
		} else {
			reasons = append(reasons, fmt.Sprintf("单位「%s」不存在", unit))
		}
		if e.Phone != "" && !phoneRE.MatchString(e.Phone) {
			reasons = append(reasons, fmt.Sprintf("手机号 %s 格式不正确", e.Phone))
		}
		if len(reasons) > 0 {
			res.Bad = append(res.Bad, RowError{Line: line, Reason: strings.Join(reasons, "；")})
			continue
		}
		seen[e.Number] = line
		e.Role = bot.RoleFromTitle(e.Title)
		res.Entries = append(res.Entries, e)
	}
	return res, nil
}
