package calendar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// fileSchedule is the official schedule of one year, read from a file.
type fileSchedule struct {
	path  string
	marks []mark
}

// holidayFile is the holiday-cn JSON format; other fields ($schema, papers,
// ...) are ignored.
type holidayFile struct {
	Year *int `json:"year"`
	Days []struct {
		Name     string `json:"name"`
		Date     string `json:"date"`
		IsOffDay *bool  `json:"isOffDay"`
	} `json:"days"`
}

// loadDir reads every *.json file in dir, except hidden ones (names starting
// with a dot). All problems are reported, each naming its file.
func loadDir(dir string) (map[int]fileSchedule, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read holidays folder: %w", err)
	}
	var paths []string
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !strings.EqualFold(filepath.Ext(name), ".json") {
			continue
		}
		path := filepath.Join(dir, name)
		// Stat follows symbolic links, as in mounted Kubernetes ConfigMaps.
		if fi, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("holidays file: %w", err)
		} else if fi.Mode().IsRegular() {
			paths = append(paths, path)
		}
	}
	sort.Strings(paths)

	files := make(map[int]fileSchedule)
	type owner struct {
		path string
		off  bool
	}
	byDate := make(map[time.Time]owner)
	var errs []error
	for _, path := range paths {
		year, marks, err := loadFile(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, ok := files[year]; ok {
			errs = append(errs, fmt.Errorf("holidays file %s: year %d is already given by %s", path, year, prev.path))
			continue
		}
		conflict := false
		for _, m := range marks {
			if o, ok := byDate[m.date]; ok && o.off != m.off {
				errs = append(errs, fmt.Errorf("holidays file %s: %s is %s, but %s says it is %s",
					path, m.date.Format(time.DateOnly), offWord(m.off), o.path, offWord(o.off)))
				conflict = true
			}
		}
		if conflict {
			continue
		}
		for _, m := range marks {
			byDate[m.date] = owner{path, m.off}
		}
		files[year] = fileSchedule{path: path, marks: marks}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return files, nil
}

func offWord(off bool) string {
	if off {
		return "a day off"
	}
	return "a working day"
}

// loadFile reads and validates one holiday-cn JSON file.
func loadFile(path string) (int, []mark, error) {
	fail := func(format string, args ...any) (int, []mark, error) {
		return 0, nil, fmt.Errorf("holidays file %s: %s", path, fmt.Sprintf(format, args...))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, nil, fmt.Errorf("holidays file: %w", err)
	}
	var f holidayFile
	if err := json.Unmarshal(data, &f); err != nil {
		return 0, nil, fmt.Errorf("holidays file %s: %s: %w", path, jsonPosition(data, err), err)
	}
	if f.Year == nil {
		return fail(`no "year"`)
	}
	year := *f.Year
	if year < 1900 || year > 9999 {
		return fail(`"year" %d is out of range`, year)
	}
	stem := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	if n, err := strconv.Atoi(stem); err == nil && n != year {
		return fail(`the file name says %d but "year" is %d`, n, year)
	}
	if len(f.Days) == 0 {
		return fail(`"days" is missing or empty`)
	}
	seen := make(map[time.Time]int)
	marks := make([]mark, 0, len(f.Days))
	for i, d := range f.Days {
		where := fmt.Sprintf("days[%d]", i)
		if d.Date == "" {
			return fail(`%s: no "date"`, where)
		}
		where = fmt.Sprintf("days[%d] (%s)", i, d.Date)
		date, err := time.Parse(time.DateOnly, d.Date)
		if err != nil {
			return fail(`%s: "date" must be YYYY-MM-DD: %v`, where, err)
		}
		// A schedule may start with make-up days in the previous December.
		if date.Year() != year && !(date.Year() == year-1 && date.Month() == time.December) {
			return fail("%s: the date is outside year %d", where, year)
		}
		if j, ok := seen[date]; ok {
			return fail("%s: the date is also days[%d]", where, j)
		}
		seen[date] = i
		if strings.TrimSpace(d.Name) == "" {
			return fail(`%s: no "name"`, where)
		}
		if d.IsOffDay == nil {
			return fail(`%s: no "isOffDay"`, where)
		}
		if !*d.IsOffDay && !isWeekend(date.Weekday()) {
			return fail(`%s: "isOffDay": false marks a make-up working day, but this date is a %s, already a working day`,
				where, date.Weekday())
		}
		marks = append(marks, mark{date: date, off: *d.IsOffDay, name: strings.TrimSpace(d.Name), source: SourceFile})
	}
	sortMarks(marks)
	return year, marks, nil
}

// jsonPosition describes where in data a JSON decoding error happened.
func jsonPosition(data []byte, err error) string {
	var offset int64
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		offset = syn.Offset
	case errors.As(err, &typ):
		offset = typ.Offset
	default:
		return "invalid JSON"
	}
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("invalid JSON at line %d, column %d", line, col)
}
