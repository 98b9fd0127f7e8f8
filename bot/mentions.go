package bot

import "strings"

// MentionSpan is where a mention stands in a text: Text[Start:End] is
// "@"+Mention.Name (byte offsets).
type MentionSpan struct {
	Mention
	Start, End int
}

// MentionSpans finds each of ms in text as "@"+Name, in order, each after
// the one before; a mention whose name is not found there (an edited text)
// is left out. Adapters use it to notify the members a message names.
func MentionSpans(text string, ms []Mention) []MentionSpan {
	var out []MentionSpan
	from := 0
	for _, m := range ms {
		if m.Name == "" {
			continue
		}
		label := "@" + m.Name
		i := strings.Index(text[from:], label)
		if i < 0 {
			continue
		}
		start := from + i
		out = append(out, MentionSpan{Mention: m, Start: start, End: start + len(label)})
		from = start + len(label)
	}
	return out
}
