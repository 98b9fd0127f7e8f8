package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Command is a parsed command line.
type Command struct {
	Name  string // the word that named the command, lower-cased, without slash
	Word  string // that word as typed (before lower-casing)
	Slash bool   // written with a leading "/"
	Bot   string // the @BotName after a slash command, if any
	// Args are the arguments, split at white space; a quote that opens a
	// word and whose closing quote ends one groups the words between them
	// (the quotes removed). Any other quote is text.
	Args    []string
	ArgText string // everything after the name and its separator, trimmed, as typed
	// Sub is the sub-command word the engine took off Args and ArgText
	// (folded: "open" for "OPEN"); empty when none was (a command's own
	// form, or a sub-command named by a flat name).
	Sub string
}

// quotePairs maps every opening quote the parser honours to its closing quote.
var quotePairs = map[rune]rune{
	'"': '"', '\'': '\'',
	'“': '”', '‘': '’',
	'「': '」', '『': '』',
}

// isSpace reports the separators between arguments: ASCII and Unicode white
// space, including the full-width space U+3000 and the WeChat mention
// separator U+2005.
func isSpace(r rune) bool { return unicode.IsSpace(r) || r == '\u3000' || r == '\u2005' }

// isNameSeparator reports the marks phones put between a command word and
// its argument instead of a space: 签到：4827, 签到，4827, 签到、4827.
func isNameSeparator(r rune) bool {
	return r == '：' || r == '，' || r == '、' || r == ':' || r == ','
}

// keptFullWidth are the full-width forms Normalize leaves alone: Chinese
// punctuation that is part of the text (阿拉伯数字，逗号：冒号；分号！（括号）～).
var keptFullWidth = map[rune]bool{'，': true, '：': true, '；': true, '！': true, '？': true, '（': true, '）': true, '～': true}

// Normalize folds what phone keyboards produce in full width into ASCII:
// digits (４８２７), letters (ＯＰＥＮ), the ideographic space, and ASCII
// punctuation (＋ ＃ ＝ ＠ ／ － ＂ ＇ …). Chinese punctuation that belongs to
// the text (，：；！？（）～) is kept. The engine applies it once to every
// incoming message before anything reads it.
func Normalize(s string) string {
	if strings.IndexByte(s, 0xEF) < 0 && !strings.Contains(s, "\u3000") {
		return s // no full-width form (U+FFxx) and no ideographic space
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\u3000':
			return ' '
		case r >= '！' && r <= '～' && !keptFullWidth[r]:
			return r - '！' + '!'
		}
		return r
	}, s)
}

// ParseCommand reads a command line (normalised: see Normalize). It returns
// ok=false for text that cannot be a command (empty, or starting with a
// quote or space-only). The command word ends at white space or at a
// separator phones type instead (：，、); whether the word is a known command
// is the registry's business.
func ParseCommand(text string) (Command, bool) {
	s := strings.TrimLeftFunc(text, isSpace)
	if s == "" || !utf8.ValidString(s) {
		return Command{}, false
	}
	var c Command
	if strings.HasPrefix(s, "/") {
		c.Slash = true
		s = s[1:]
	}
	end := strings.IndexFunc(s, func(r rune) bool { return isSpace(r) || isNameSeparator(r) })
	if end < 0 {
		end = len(s)
	}
	word := s[:end]
	if c.Slash {
		if i := strings.IndexByte(word, '@'); i >= 0 {
			c.Bot = word[i+1:]
			word = word[:i]
		}
	}
	if word == "" {
		return Command{}, false
	}
	if r, _ := utf8.DecodeRuneInString(word); quotePairs[r] != 0 {
		return Command{}, false
	}
	c.Word = word
	c.Name = strings.ToLower(word)
	c.ArgText = strings.TrimFunc(strings.TrimLeftFunc(s[end:], func(r rune) bool { return isSpace(r) || isNameSeparator(r) }), isSpace)
	c.Args = SplitArgs(c.ArgText)
	return c, true
}

// token is one argument of a line: its text, and the byte offset in the
// line where it ends.
type token struct {
	text string
	end  int
}

// tokenize splits s into arguments: white space separates them, and a quote
// groups words only when it is balanced: it opens a word (ASCII "…" '…',
// Chinese “…” ‘…’, corner brackets 「…」 『…』) and its closing quote ends a
// word, at white space or the end of the line; the two quotes are removed.
// Any other quote is text, so an apostrophe (Tom's, I'm) or an unmatched
// quote never swallows what follows it.
func tokenize(s string) []token {
	var out []token
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if isSpace(r) {
			i += size
			continue
		}
		if closer := quotePairs[r]; closer != 0 {
			if j := closingQuote(s, i+size, closer); j >= 0 {
				_, csize := utf8.DecodeRuneInString(s[j:])
				out = append(out, token{text: s[i+size : j], end: j + csize})
				i = j + csize
				continue
			}
		}
		j := strings.IndexFunc(s[i:], isSpace)
		if j < 0 {
			j = len(s) - i
		}
		out = append(out, token{text: s[i : i+j], end: i + j})
		i += j
	}
	return out
}

// closingQuote is the offset of the first closer at or after from that ends
// a word (white space or the end of s follows it), or -1.
func closingQuote(s string, from int, closer rune) int {
	for k := from; k < len(s); {
		r, size := utf8.DecodeRuneInString(s[k:])
		if r == closer {
			if k+size == len(s) {
				return k
			}
			if next, _ := utf8.DecodeRuneInString(s[k+size:]); isSpace(next) {
				return k
			}
		}
		k += size
	}
	return -1
}

// SplitArgs splits a line into arguments: white space separates, and
// balanced quotes group words (see tokenize).
func SplitArgs(s string) []string {
	toks := tokenize(s)
	if len(toks) == 0 {
		return nil
	}
	args := make([]string, len(toks))
	for i, t := range toks {
		args[i] = t.text
	}
	return args
}

// HasWords reports whether s holds a letter or a digit: text rather than
// only the punctuation and emoji people type around a short answer (！, 。,
// 👍).
func HasWords(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return !notWordRune(r) })
}

// Words is args without the arguments that hold no letter or digit
// (see HasWords): 收到！ and 已学 。 mean 收到 and 已学.
func Words(args []string) []string {
	var out []string
	for _, a := range args {
		if HasWords(a) {
			out = append(out, a)
		}
	}
	return out
}

// trimMarks drops the arguments at the end of a command line that hold no
// letter or digit: the 。, ！ or 👍 a phone user ends a line with. The
// handler's ArgText keeps them.
func trimMarks(args []string) []string {
	n := len(args)
	for n > 0 && !HasWords(args[n-1]) {
		n--
	}
	return args[:n]
}

func notWordRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// afterFirstArg is s without its first argument as SplitArgs reads it,
// trimmed.
func afterFirstArg(s string) string {
	toks := tokenize(s)
	if len(toks) == 0 {
		return ""
	}
	return strings.TrimFunc(s[toks[0].end:], isSpace)
}

// SplitOptions separates key=value options (keys are ASCII letters, or one
// of the Chinese words people type for them: 人数=20 is limit=20, see
// optionAliases) from positional arguments. Keys are returned lower-cased,
// Chinese ones as their English key. Later keys win.
func SplitOptions(args []string) (positional []string, opts map[string]string) {
	opts = map[string]string{}
	for _, a := range args {
		if k, v, ok := strings.Cut(a, "="); ok && k != "" {
			if en, ok := optionAliases[k]; ok {
				opts[en] = v
				continue
			}
			if isOptionKey(k) {
				opts[strings.ToLower(k)] = v
				continue
			}
		}
		positional = append(positional, a)
	}
	return positional, opts
}

// OptionKey is the key SplitOptions files an option's key under: the
// English key a Chinese word stands for, or the key lower-cased.
func OptionKey(k string) string {
	if en, ok := optionAliases[k]; ok {
		return en
	}
	return strings.ToLower(k)
}

// optionAliases are the Chinese words for option keys: one meaning each, the
// same for every command that reads options.
var optionAliases = map[string]string{
	"人数": "limit", "名额": "limit", "限额": "limit",
	"截止": "until", "截止时间": "until", "截至": "until",
	"单位": "for", "范围": "for",
	"口令": "code", "暗号": "code",
	"类型": "type", "会议类型": "type",
	"迟到": "late",
}

func isOptionKey(k string) bool {
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_') {
			return false
		}
	}
	return true
}
