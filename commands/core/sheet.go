package core

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// WriteCodeSheet writes issued codes as a sheet to print and cut into
// slips, one per person (text), or as CSV with Chinese headers (for a mail
// merge). Each slip carries the line the person sends to the bot.
func WriteCodeSheet(w io.Writer, asCSV bool, title string, codes []IssuedCode, units *bot.UnitTree, issued time.Time, loc *time.Location) error {
	const layout = "2006-01-02 15:04"
	send := func(c IssuedCode) string {
		return fmt.Sprintf("/iam %s %s %s", c.Entry.Number, c.Entry.Name, ShowCode(c.Code))
	}
	if asCSV {
		if _, err := io.WriteString(w, "\ufeff"); err != nil { // Excel reads UTF-8 with a BOM
			return err
		}
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"姓名", "学号/工号", "单位", "角色", "绑定码", "有效期至", "发送"})
		for _, c := range codes {
			_ = cw.Write([]string{c.Entry.Name, c.Entry.Number, units.Name(c.Entry.UnitID), roleTitle(c.Entry), ShowCode(c.Code),
				c.ExpiresAt.In(loc).Format(layout), send(c)})
		}
		cw.Flush()
		return cw.Error()
	}
	var b strings.Builder
	cut := strings.Repeat("-", 60)
	until := ""
	if len(codes) > 0 {
		until = codes[0].ExpiresAt.In(loc).Format(layout)
	}
	fmt.Fprintf(&b, "%s 绑定码（%s 发放，%s 前有效；每个只能使用一次，重新发放后旧码作废）\n", title, issued.In(loc).Format(layout), until)
	b.WriteString("请沿虚线剪开，当面交给本人。本人私聊机器人，发送纸条上“发送”后的一行即可绑定。\n")
	b.WriteString(cut + "\n")
	for _, c := range codes {
		fmt.Fprintf(&b, "%s（%s） %s %s\n", c.Entry.Name, c.Entry.Number, units.Name(c.Entry.UnitID), roleTitle(c.Entry))
		fmt.Fprintf(&b, "绑定码：%s\n", ShowCode(c.Code))
		fmt.Fprintf(&b, "发送：%s\n", send(c))
		b.WriteString(cut + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
