package bot

import "strings"

// Render formats an outgoing message the way the terminal and transcripts
// show it: "[chat] name: text", a mention as "@Name ", buttons on a last line.
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
	return b.String()
}
