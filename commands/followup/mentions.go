package followup

import "github.com/branchbot/branchbot/bot"

// mentions are the members a group reminder names, for the platform of
// its chat: each person's identity there, under their roster name (the
// text names them as "@"+name). A person with no identity on that
// platform is named as text only.
func mentions(people []Person, platform string) []bot.Mention {
	var out []bot.Mention
	for _, p := range people {
		for _, id := range p.Identities {
			if id.Member.Platform == platform && id.Member.ExternalID != "" {
				out = append(out, bot.Mention{UserID: id.Member.ExternalID, Name: p.Entry.Name})
				break
			}
		}
	}
	return out
}

// chatPlatform is the platform of chat, one of t's groups.
func chatPlatform(t Task, chat int64) string {
	for _, c := range t.Chats {
		if c.ID == chat && c.Platform != "" {
			return c.Platform
		}
	}
	return t.Platform
}
