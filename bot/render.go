package bot

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Render formats an outgoing message the way the terminal and transcripts
// show it: "[chat] name: text", a mention as "@Name ", buttons on a last line,
// and a file as a line with its name and size.
func Render(chatLabel, botName string, m Outbound, edited bool) string {
	var b strings.Builder
	b.WriteString("[" + chatLabel + "] " + botName)
	if edited {
		b.WriteString(" (编辑)")
	}
	b.WriteString(": ")
	if m.Mention != nil {
		b.WriteString("@" + m.Mention.Name + " ")
	}
	b.WriteString(m.Text)
	for _, row := range m.Buttons {
		labels := make([]string, len(row))
		for i, btn := range row {
			labels[i] = "[" + btn.Text + "]"
		}
		b.WriteString("\n  按钮: " + strings.Join(labels, " "))
	}
	if m.File != "" {
		b.WriteString("\n  文件: " + FileLabel(m.File))
	}
	return b.String()
}

// FileLabel names a file the way chats show it: its name and size, e.g.
// "checkin-3-20261123-090000.xlsx（6.0 KB）".
func FileLabel(path string) string {
	name := filepath.Base(path)
	st, err := os.Stat(path)
	if err != nil {
		return name + "（文件不存在）"
	}
	return name + "（" + HumanSize(st.Size()) + "）"
}

// HumanSize is a file size as people read it: 812 B, 6.0 KB, 1.2 MB.
func HumanSize(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1024*1024))
}
