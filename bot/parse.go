package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Command is a parsed command line.
type Command struct {
	Name    string   // the word that named the command, lower-cased, without slash
	Slash   bool     // written with a leading "/" (or full-width "／")
	Bot     string   // the @BotName after a slash command, if any
	Args    []string // arguments, split like a shell; quotes removed
	ArgText string   // everything after the name, trimmed, as typed
	// Sub is the sub-command word the engine took off Args and ArgText
	// (folded: "open" for "ＯＰＥＮ"); empty when none was (a command's own
	// form, or a sub-command named by a flat name).
	Sub string
}

// quotePairs maps every opening quote the parser honours to its closing quote.
var quotePairs = map[rune]rune{
	'"': '"', '\'': '\'',
	'“': '”', '‘': '’',
	'「': '」', '『': '』',
	'＂': '＂',
}

// isSpace reports the separators between arguments: ASCII and Unicode white
// space, including the full-width space U+3000 and the WeChat mention
// separator U+2005.
func isSpace(r rune) bool { return unicode.IsSpace(r) || r == '\u3000' || r == '\u2005' }

// ParseCommand reads a command line. It returns ok=false for text that cannot
// be a command (empty, or starting with a quote or space-only). Whether the
// name is a known command is the registry's business.
func ParseCommand(text string) (Command, bool) {
	s := strings.TrimLeftFunc(text, isSpace)
	if s == "" || !utf8.ValidString(s) {
		return Command{}, false
	}
	var c Command
	if r, size := utf8.DecodeRuneInString(s); r == '/' || r == '／' {
		c.Slash = true
		s = s[size:]
	}
	end := strings.IndexFunc(s, isSpace)
	if end < 0 {
		end = len(s)
	}
	word := s[:end]
	if c.Slash {
		if i := strings.IndexAny(word, "@＠"); i >= 0 {
			at := word[i:]
			_, size := utf8.DecodeRuneInString(at)
			c.Bot = at[size:]
			word = word[:i]
		}
	}
	if word == "" {
		return Command{}, false
	}
	if r, _ := utf8.DecodeRuneInString(word); quotePairs[r] != 0 {
		return Command{}, false
	}
	c.Name = strings.ToLower(word)
	c.ArgText = strings.TrimFunc(s[end:], isSpace)
	c.Args = SplitArgs(c.ArgText)
	return c, true
}

// SplitArgs splits a line into words like a shell: white space separates,
// quotes (ASCII, Chinese “…” ‘…’, corner brackets 「…」 『…』) group, and a
// backslash makes the next character literal. An unterminated quote runs to
// the end of the line.
func SplitArgs(s string) []string {
	var (
		args  []string
		cur   strings.Builder
		inArg bool
		close rune
	)
	runes := []rune(s)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case close != 0:
			if r == close {
				close = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\\' && i+1 < len(runes):
			i++
			cur.WriteRune(runes[i])
			inArg = true
		case quotePairs[r] != 0:
			close = quotePairs[r]
			inArg = true
		case isSpace(r):
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteRune(r)
			inArg = true
		}
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args
}

// afterFirstArg is s without its first argument as SplitArgs reads it
// (quotes and backslashes included), trimmed.
func afterFirstArg(s string) string {
	s = strings.TrimLeftFunc(s, isSpace)
	var close rune
	escaped := false
	for i, r := range s {
		switch {
		case escaped:
			escaped = false
		case close != 0:
			if r == close {
				close = 0
			}
		case r == '\\':
			escaped = true
		case quotePairs[r] != 0:
			close = quotePairs[r]
		case isSpace(r):
			return strings.TrimFunc(s[i:], isSpace)
		}
	}
	return ""
}

// SplitOptions separates key=value options (keys are ASCII letters, the "="
// may be full-width) from positional arguments. Later keys win.
func SplitOptions(args []string) (positional []string, opts map[string]string) {
	opts = map[string]string{}
	for _, a := range args {
		a2 := strings.Replace(a, "＝", "=", 1)
		if k, v, ok := strings.Cut(a2, "="); ok && k != "" && isOptionKey(k) {
			opts[strings.ToLower(k)] = v
			continue
		}
		positional = append(positional, a)
	}
	return positional, opts
}

func isOptionKey(k string) bool {
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_') {
			return false
		}
	}
	return true
}
