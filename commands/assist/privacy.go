package assist

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Placeholder kinds, as the model sees them: [成员1], [编号1], [电话1], [证件1].
const (
	kindName   = "成员"
	kindNumber = "编号"
	kindPhone  = "电话"
	kindIDCard = "证件"
)

// Sentinels mark a term inside text between the two redaction passes. They
// are Unicode private-use characters, removed from any input beforehand.
const (
	sentinelOpen  = '\uE000'
	sentinelClose = '\uE001'
)

// term is one string that must not reach the model.
type term struct {
	text string
	kind string
	key  string // same key, same placeholder: a person's names share one
	show string // what the placeholder turns back into
}

// redactor replaces names, 学号/工号 and phone numbers with placeholders
// before text goes to the model, and puts them back into the answer. One
// redactor serves one request, so placeholders are numbered by first
// appearance in that request.
type redactor struct {
	terms    []term
	replacer *strings.Replacer
	byKey    map[string]string // term key → placeholder
	back     map[string]string // placeholder → original
	counts   map[string]int    // kind → placeholders assigned
}

// minNameRunes is the shortest display name that is redacted: a single
// letter or character would wreck the text and identifies nobody.
const minNameRunes = 2

func newRedactor(people []PrivacyPerson, extraNames []string) *redactor {
	r := &redactor{byKey: map[string]string{}, back: map[string]string{}, counts: map[string]int{}}
	seen := map[string]bool{}
	add := func(text, kind, key, show string) {
		text = strings.TrimSpace(foldWidth(text))
		if utf8.RuneCountInString(text) < minNameRunes || seen[text] {
			return
		}
		seen[text] = true
		r.terms = append(r.terms, term{text: text, kind: kind, key: key, show: show})
	}
	for _, p := range people {
		key := fmt.Sprintf("m%d", p.MemberID)
		if p.RosterID != 0 {
			key = fmt.Sprintf("r%d", p.RosterID)
		}
		add(p.Name, kindName, key, p.Name)
		for _, a := range p.Aliases {
			add(a, kindName, key, p.Name)
		}
		if len(p.Number) >= 3 {
			add(p.Number, kindNumber, "n"+p.Number, p.Number)
		}
		if d := digits(p.Phone); len(d) >= 5 {
			add(p.Phone, kindPhone, "p"+d, p.Phone)
			if d != p.Phone {
				add(d, kindPhone, "p"+d, p.Phone)
			}
		}
	}
	for _, n := range extraNames {
		add(n, kindName, "x"+n, n)
	}
	// Longest first, so "王老师" wins over a shorter name it contains.
	sort.SliceStable(r.terms, func(i, j int) bool { return len(r.terms[i].text) > len(r.terms[j].text) })
	pairs := make([]string, 0, 2*len(r.terms))
	for i, t := range r.terms {
		pairs = append(pairs, t.text, string(sentinelOpen)+strconv.Itoa(i)+string(sentinelClose))
	}
	r.replacer = strings.NewReplacer(pairs...)
	return r
}

func digits(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

var (
	// fakePlaceholder is placeholder-shaped text typed by a user; it is
	// defused so that restoring cannot turn it into someone's name.
	fakePlaceholder = regexp.MustCompile(`[\[【]\s*(成员|编号|电话|证件)\s*\d+\s*[\]】]`)
	// Resident ID numbers (18 characters, the last a digit or X; the old
	// 15-digit ones) and mainland mobile numbers (optionally +86), each
	// digit possibly set apart by a space, dot or dash as people type them
	// (138.1234.5678, 110105 19491231 002X). Boundaries are checked by
	// hand; IDs must carry a plausible birth date.
	idRE      = regexp.MustCompile(`\d(?:[-. \x{3000}]?\d){16}[-. \x{3000}]?[\dXx]`)
	oldIDRE   = regexp.MustCompile(`\d(?:[-. \x{3000}]?\d){14}`)
	phoneRE   = regexp.MustCompile(`(?:\+?86[-. \x{3000}]?)?1[3-9](?:[-. \x{3000}]?\d){9}`)
	defuse    = strings.NewReplacer("[", "［", "]", "］", "【", "［", "】", "］")
	sentinels = regexp.MustCompile("\uE000(\\d+)\uE001")
	// placeholderRE finds placeholders in the answer, tolerating the
	// full-width brackets and spaces models like to add.
	placeholderRE = regexp.MustCompile(`[\[【]\s*(成员|编号|电话|证件)\s*(\d+)\s*[\]】]`)
)

// Redact returns text with every known name, number and phone replaced.
func (r *redactor) Redact(text string) string {
	text = strings.Map(func(c rune) rune {
		if c == sentinelOpen || c == sentinelClose {
			return -1
		}
		return c
	}, text)
	// A Chinese keyboard in full-width mode types １３７… and Ｘ.
	text = foldWidth(text)
	text = fakePlaceholder.ReplaceAllStringFunc(text, defuse.Replace)
	text = r.replacer.Replace(text)
	idCard := func(m string) string {
		d := strings.ToUpper(strings.Map(func(c rune) rune {
			if c >= '0' && c <= '9' || c == 'X' || c == 'x' {
				return c
			}
			return -1
		}, m))
		if !plausibleID(d) {
			return m
		}
		return r.placeholder(kindIDCard, "i"+d, m)
	}
	text = replaceBounded(text, idRE, idCard)
	text = replaceBounded(text, oldIDRE, idCard)
	text = replaceBounded(text, phoneRE, func(m string) string {
		d := digits(m)
		if len(d) == 13 && strings.HasPrefix(d, "86") {
			d = d[2:]
		}
		return r.placeholder(kindPhone, "p"+d, m)
	})
	return sentinels.ReplaceAllStringFunc(text, func(s string) string {
		i, _ := strconv.Atoi(s[len(string(sentinelOpen)) : len(s)-len(string(sentinelClose))])
		t := r.terms[i]
		return r.placeholder(t.kind, t.key, t.show)
	})
}

// Person returns the placeholder for someone named name, even when the name
// is too short to be redacted inside text: a message's sender is always a
// placeholder.
func (r *redactor) Person(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return "[成员0]"
	}
	red := r.Redact(name)
	if placeholderRE.MatchString(red) && strings.TrimSpace(placeholderRE.ReplaceAllString(red, "")) == "" {
		return red
	}
	return r.placeholder(kindName, "x"+name, name)
}

// foldWidth reads full-width digits, Latin letters and the signs numbers
// are written with as ASCII (１３７ → 137, Ｘ → X, ＋８６, １３８．１２３４);
// Chinese punctuation (，：（）) stays as it is.
func foldWidth(s string) string {
	return strings.Map(func(c rune) rune {
		switch {
		case c >= '０' && c <= '９', c >= 'Ａ' && c <= 'Ｚ', c >= 'ａ' && c <= 'ｚ', c == '＋', c == '－', c == '．':
			return c - '！' + '!'
		}
		return c
	}, s)
}

// plausibleID reports whether d (digits, possibly ending in X) is shaped
// like a resident ID number: 18 characters with a birth date 19xx or 20xx
// at 7–14, or 15 digits with a two-digit year at 7–12.
func plausibleID(d string) bool {
	var month, day string
	switch {
	case len(d) == 18 && strings.IndexByte(d[:17], 'X') < 0:
		if y := d[6:8]; y != "19" && y != "20" {
			return false
		}
		month, day = d[10:12], d[12:14]
	case len(d) == 15 && strings.IndexByte(d, 'X') < 0:
		month, day = d[8:10], d[10:12]
	default:
		return false
	}
	return month >= "01" && month <= "12" && day >= "01" && day <= "31"
}

// replaceBounded replaces matches of re that are not part of a longer run
// of digits.
func replaceBounded(s string, re *regexp.Regexp, fn func(string) string) string {
	var b strings.Builder
	last := 0
	for _, loc := range re.FindAllStringIndex(s, -1) {
		if loc[0] > 0 && isDigit(s[loc[0]-1]) || loc[1] < len(s) && isDigit(s[loc[1]]) {
			continue
		}
		b.WriteString(s[last:loc[0]])
		b.WriteString(fn(s[loc[0]:loc[1]]))
		last = loc[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (r *redactor) placeholder(kind, key, show string) string {
	if p, ok := r.byKey[key]; ok {
		return p
	}
	r.counts[kind]++
	p := fmt.Sprintf("[%s%d]", kind, r.counts[kind])
	r.byKey[key], r.back[p] = p, show
	return p
}

// Restore puts the originals back for every placeholder in the answer.
// Placeholders the redactor never issued are left as they are.
func (r *redactor) Restore(text string) string {
	return placeholderRE.ReplaceAllStringFunc(text, func(s string) string {
		m := placeholderRE.FindStringSubmatch(s)
		if orig, ok := r.back["["+m[1]+m[2]+"]"]; ok {
			return orig
		}
		return s
	})
}

// Used reports how many placeholders of each kind the request needed.
func (r *redactor) Used() int {
	n := 0
	for _, c := range r.counts {
		n += c
	}
	return n
}
