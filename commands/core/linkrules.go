package core

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/branchbot/branchbot/bot"
)

// The rules of identity links, as pure functions: who may link how, who may
// issue a code for whom, what a code looks like and how it is checked.

// codeAlphabet has no 0/O or 1/I, which are read for each other on paper:
// 32 symbols, 5 bits each, so a code of codeLen symbols carries 40 bits.
const (
	codeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	codeLen      = 8
	saltLen      = 16
)

// NewCode draws a code from rnd: 8 symbols, shown as ABCD-EFGH.
func NewCode(rnd io.Reader) (string, error) {
	b := make([]byte, codeLen)
	if _, err := io.ReadFull(rnd, b); err != nil {
		return "", fmt.Errorf("draw a link code: %w", err)
	}
	out := make([]byte, codeLen)
	for i, c := range b {
		out[i] = codeAlphabet[c&31]
	}
	return string(out), nil
}

// ShowCode is a code as printed and sent: ABCD-EFGH.
func ShowCode(code string) string {
	if len(code) != codeLen {
		return code
	}
	return code[:4] + "-" + code[4:]
}

// NormalizeCode reads a code as typed: full-width forms as ASCII, any case,
// separators (- – — space) dropped. It returns "" when the rest is not a
// code.
func NormalizeCode(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '！' && r <= '～' {
			r = r - '！' + '!'
		}
		switch {
		case r == '-' || r == '–' || r == '—' || r == '_' || unicode.IsSpace(r) || r == '\u3000':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		if r > unicode.MaxASCII || !strings.ContainsRune(codeAlphabet, r) {
			return ""
		}
		b.WriteRune(r)
	}
	if b.Len() != codeLen {
		return ""
	}
	return b.String()
}

// HashCode is the stored form of a normalised code.
func HashCode(salt []byte, code string) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(code))
	return h.Sum(nil)
}

// CodeMatches compares a typed code with a stored one in constant time.
func CodeMatches(c LinkCode, typed string) bool {
	n := NormalizeCode(typed)
	if n == "" {
		n = strings.Repeat("?", codeLen) // still hash, so time says nothing
	}
	return subtle.ConstantTimeCompare(HashCode(c.Salt, n), c.Hash) == 1
}

// NewLinkCode makes a code for an entry, issued at now by issuer and usable
// for ttl: the code to hand out, and what is stored of it.
func NewLinkCode(rnd io.Reader, rosterID int64, issuer string, now time.Time, ttl time.Duration) (string, LinkCode, error) {
	code, err := NewCode(rnd)
	if err != nil {
		return "", LinkCode{}, err
	}
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(rnd, salt); err != nil {
		return "", LinkCode{}, fmt.Errorf("draw a salt: %w", err)
	}
	return code, LinkCode{RosterID: rosterID, Salt: salt, Hash: HashCode(salt, code), IssuedBy: issuer,
		IssuedAt: now, ExpiresAt: now.Add(ttl)}, nil
}

// Privileged reports whether an entry carries a role beyond member: such
// entries are never linked by number and name alone.
func Privileged(e bot.RosterEntry) bool { return e.Role != bot.RoleMember }

// IAm is a parsed /iam line.
type IAm struct {
	Number, Name, Code string
}

// ParseIAm reads "/iam <学号> <姓名> [绑定码]": a last word of three or more
// that reads as a code is the code; the words between number and code are
// the name, joined without spaces. A name typed before the number
// (/iam 张三 2023001) is read the right way round: a number has a digit, a
// name none.
func ParseIAm(args []string) (IAm, bool) {
	if len(args) < 2 {
		return IAm{}, false
	}
	var in IAm
	in.Number = strings.TrimSpace(args[0])
	name := args[1:]
	if len(args) >= 3 {
		if c := NormalizeCode(args[len(args)-1]); c != "" {
			in.Code, name = c, args[1:len(args)-1]
		} else if len(args) >= 4 {
			// A code typed with a space in the middle: ABCD EFGH.
			if c := NormalizeCode(args[len(args)-2] + args[len(args)-1]); c != "" {
				in.Code, name = c, args[1:len(args)-2]
			}
		}
	}
	if last := len(name) - 1; last >= 0 && !hasDigit(in.Number) && hasDigit(name[last]) && !strings.ContainsFunc(name[last], isHan) {
		in.Number, name = name[last], append([]string{in.Number}, name[:last]...)
	}
	in.Name = strings.Join(name, "")
	if in.Number == "" || in.Name == "" {
		return IAm{}, false
	}
	return in, true
}

// SameName compares a typed name with the roster's, ignoring spaces and
// the case of Latin letters.
func SameName(roster, typed string) bool {
	strip := func(s string) string {
		return strings.ToLower(strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) || r == '\u3000' {
				return -1
			}
			return r
		}, s))
	}
	return strip(roster) != "" && strip(roster) == strip(typed)
}

// IssueRefusal says why the caller may not issue a code for entry, or ""
// when they may: an admin for anyone; a secretary for the ordinary members
// of their units, and for secretaries and staff of units strictly below
// their own; a code for an admin's entry only an admin.
func IssueRefusal(c bot.Caller, e bot.RosterEntry, units *bot.UnitTree) string {
	switch {
	case c.Admin:
		return ""
	case e.Role == bot.RoleAdmin:
		return "只有管理员可以为管理员身份发放绑定码。"
	case !c.Is(bot.RoleSecretary, e.UnitID, units):
		return bot.DenyText(bot.RoleSecretary, e.UnitID, c, units)
	case Privileged(e) && (c.Roster == nil || c.Roster.UnitID == e.UnitID):
		return fmt.Sprintf("%s（%s）是%s身份，其绑定码须由上级单位的书记或管理员发放。", e.Name, e.Number, roleTitle(e))
	}
	return ""
}

// roleTitle is the entry's title, else its role's name.
func roleTitle(e bot.RosterEntry) string {
	if e.Title != "" {
		return e.Title
	}
	return e.Role.Chinese()
}

// limited reports whether failed attempts have reached a limit.
func limited(failures, max int) bool { return failures >= max }

func hasDigit(s string) bool { return strings.ContainsFunc(s, unicode.IsDigit) }

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }
