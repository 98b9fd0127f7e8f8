package bot

import (
	"reflect"
	"testing"
)

func TestMentionSpans(t *testing.T) {
	text := "提醒：以下同志还没有签到：@张三 @李四 @张三丰。"
	ms := []Mention{{UserID: "1", Name: "张三"}, {UserID: "9", Name: "王五"}, {UserID: "2", Name: "李四"}, {UserID: "3", Name: "张三丰"}}
	got := MentionSpans(text, ms)
	var labels []string
	for _, s := range got {
		labels = append(labels, s.UserID+"="+text[s.Start:s.End])
	}
	// 王五 is not in the text: left out, and the search goes on after 张三.
	want := []string{"1=@张三", "2=@李四", "3=@张三丰"}
	if !reflect.DeepEqual(labels, want) {
		t.Errorf("spans %q, want %q", labels, want)
	}
	if got := MentionSpans("没有点名", ms); len(got) != 0 {
		t.Errorf("spans in a text without names: %v", got)
	}
}
