package core

import (
	"context"
	"fmt"

	"github.com/branchbot/branchbot/bot"
)

// RosterRow is one roster entry of a unit as its secretary sees it outside
// a chat (the web console): who it is and how its chat identities link.
type RosterRow struct {
	Name, Number, Unit, Title string
	Links                     []string // 「张三」（凭绑定码绑定）; empty: not linked
}

// methodText is how a link was made, as /whoami says it.
var methodText = map[string]string{MethodCode: "凭绑定码绑定", MethodApproval: "经书记确认绑定",
	MethodPreset: "由配置绑定", MethodLegacy: "旧方式绑定，未经核实"}

// UnitRoster lists the roster of a unit and the units below it with each
// entry's links, for a caller who is secretary of the unit (or above it) or
// an admin: the scope rule of /links.
func UnitRoster(ctx context.Context, db Store, c bot.Caller, units *bot.UnitTree, unitID int64) ([]RosterRow, error) {
	if err := bot.RequireUnit(c, units, bot.RoleSecretary, unitID); err != nil {
		return nil, err
	}
	entries, links, err := EntriesWithLinks(ctx, db, units.Subtree(unitID))
	if err != nil {
		return nil, fmt.Errorf("roster of unit %d: %w", unitID, err)
	}
	rows := make([]RosterRow, 0, len(entries))
	for _, e := range entries {
		row := RosterRow{Name: e.Name, Number: e.Number, Unit: units.Name(e.UnitID), Title: roleTitle(e)}
		for _, l := range links[e.ID] {
			row.Links = append(row.Links, fmt.Sprintf("「%s」（%s）", l.Member.Name, methodText[l.Method]))
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// MayImportRoster is nil when c may replace roster entries from a file
// outside a chat (the web console's upload, as `branchbot roster import`):
// admins only, since a row sets anyone's unit and role.
func MayImportRoster(c bot.Caller, units *bot.UnitTree) error {
	return bot.Require(c, units, bot.RoleAdmin, 0)
}
