package qq

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// ID is a QQ number, group number or message id as OneBot v11 bridges send
// it: a JSON number (negative in Lagrange's message ids) or a string
// (NapCat types ids number|string). It always encodes as a number.
type ID int64

// UnmarshalJSON accepts a number, a string holding one, or null (zero).
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*id = 0
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*id = 0
			return nil
		}
		b = []byte(s)
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		// A float such as 1.2e9 from a JavaScript bridge.
		f, ferr := strconv.ParseFloat(string(b), 64)
		if ferr != nil || f != float64(int64(f)) {
			return fmt.Errorf("onebot id %s: not an integer", b)
		}
		n = int64(f)
	}
	*id = ID(n)
	return nil
}

func (id ID) String() string { return strconv.FormatInt(int64(id), 10) }

// Segment is one part of a message in OneBot's array format. Nearly all
// data values are strings, so that the array converts to and from CQ codes.
type Segment struct {
	Type string            `json:"type"`
	Data map[string]string `json:"data"`
}

// UnmarshalJSON keeps data values that are not strings (some bridges send
// numbers, e.g. at.qq or reply.id) as their JSON text.
func (s *Segment) UnmarshalJSON(b []byte) error {
	var raw struct {
		Type string                     `json:"type"`
		Data map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	s.Type, s.Data = raw.Type, make(map[string]string, len(raw.Data))
	for k, v := range raw.Data {
		var str string
		if json.Unmarshal(v, &str) == nil {
			s.Data[k] = str
			continue
		}
		s.Data[k] = string(bytes.TrimSpace(v))
	}
	return nil
}

// Text is a text segment.
func Text(s string) Segment { return Segment{Type: "text", Data: map[string]string{"text": s}} }

// At is a mention of a QQ number.
func At(qq string) Segment { return Segment{Type: "at", Data: map[string]string{"qq": qq}} }

// Reply threads a message under the message with this id.
func Reply(id string) Segment { return Segment{Type: "reply", Data: map[string]string{"id": id}} }

// Message is an event's message in either format: decoded from an array of
// segments, a single segment, or a CQ-code string.
type Message []Segment

// UnmarshalJSON accepts the array format, one segment object, or a string
// with CQ codes.
func (m *Message) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*m = nil
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*m = ParseCQ(s)
		return nil
	case b[0] == '{':
		var s Segment
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*m = Message{s}
		return nil
	}
	var segs []Segment
	if err := json.Unmarshal(b, &segs); err != nil {
		return err
	}
	*m = segs
	return nil
}

// PlainText is the message's text segments joined, and whether it mentions
// qq (an at segment naming it; "all" does not count as addressing the bot).
// A leading mention of the bot and the space after it are dropped, so that
// "@支部助手 签到" is the command 签到.
func (m Message) PlainText(self string) (text string, mentioned bool) {
	var b strings.Builder
	for i, s := range m {
		switch s.Type {
		case "text":
			t := s.Data["text"]
			if i > 0 && m[i-1].Type == "at" && m[i-1].Data["qq"] == self && strings.TrimSpace(b.String()) == "" {
				t = strings.TrimLeft(t, " \u3000\u2005")
			}
			b.WriteString(t)
		case "at":
			if s.Data["qq"] == self {
				mentioned = true
				continue
			}
			name := s.Data["name"]
			if name == "" {
				name = s.Data["qq"]
			}
			b.WriteString("@" + name)
		case "face":
			b.WriteString("[表情]")
		}
	}
	return strings.TrimSpace(b.String()), mentioned
}

// ImageURL is where the first picture the message carries (an image
// segment) can be downloaded: its url, or its file where that is an
// http(s) address (bridges in the string format, older go-cqhttp); "" for
// none. Bridges receive pictures as QQ's download address in url and a
// local file name in file.
func (m Message) ImageURL() string {
	for _, s := range m {
		if s.Type != "image" {
			continue
		}
		for _, u := range []string{s.Data["url"], s.Data["file"]} {
			if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
				return u
			}
		}
	}
	return ""
}

// ReplyTo is the id of the message this one answers (a reply segment), "".
func (m Message) ReplyTo() string {
	for _, s := range m {
		if s.Type == "reply" {
			return s.Data["id"]
		}
	}
	return ""
}

// ParseCQ reads a message in OneBot's string format: text with CQ codes
// such as "[CQ:at,qq=10001] 接龙". Text is unescaped (&amp; &#91; &#93;),
// as are code values (also &#44;). Text that is not a well-formed code
// stays text.
func ParseCQ(s string) Message {
	var out Message
	text := func(t string) {
		if t == "" {
			return
		}
		t = unescapeCQ(t)
		if n := len(out); n > 0 && out[n-1].Type == "text" {
			out[n-1].Data["text"] += t
			return
		}
		out = append(out, Text(t))
	}
	for s != "" {
		i := strings.Index(s, "[CQ:")
		if i < 0 {
			text(s)
			break
		}
		text(s[:i])
		end := strings.IndexByte(s[i:], ']')
		if end < 0 {
			text(s[i:])
			break
		}
		code := s[i+len("[CQ:") : i+end]
		s = s[i+end+1:]
		name, args, _ := strings.Cut(code, ",")
		seg := Segment{Type: name, Data: map[string]string{}}
		if args != "" {
			for _, kv := range strings.Split(args, ",") {
				k, v, _ := strings.Cut(kv, "=")
				seg.Data[k] = unescapeCQ(v)
			}
		}
		out = append(out, seg)
	}
	return out
}

var cqUnescaper = strings.NewReplacer("&#91;", "[", "&#93;", "]", "&#44;", ",", "&amp;", "&")

func unescapeCQ(s string) string { return cqUnescaper.Replace(s) }

// EscapeCQ escapes text for OneBot's string format. The adapter itself only
// ever sends arrays; this is for tests and tools that build CQ strings.
func EscapeCQ(s string) string {
	return strings.NewReplacer("&", "&amp;", "[", "&#91;", "]", "&#93;").Replace(s)
}
