package bot

import (
	"fmt"
	"slices"
	"strings"
)

// Role is what a command requires of its caller. Roles are not strictly
// ordered: a secretary is tied to units, staff to departments; an admin may do
// everything.
type Role int

const (
	RoleMember    Role = iota // anyone in the chat
	RoleStaff                 // answers tickets for a department
	RoleSecretary             // runs a unit (书记, 组织委员, ...)
	RoleAdmin                 // named in config
)

func (r Role) String() string {
	switch r {
	case RoleMember:
		return "member"
	case RoleStaff:
		return "staff"
	case RoleSecretary:
		return "secretary"
	case RoleAdmin:
		return "admin"
	}
	return "unknown"
}

// Chinese is the role's name as users see it.
func (r Role) Chinese() string {
	switch r {
	case RoleStaff:
		return "工作人员"
	case RoleSecretary:
		return "书记"
	case RoleAdmin:
		return "管理员"
	}
	return "成员"
}

// RoleFromTitle maps a roster title (角色 column) to the bot role it grants.
// Unknown titles are plain members: the title is still kept for review chains.
func RoleFromTitle(title string) Role {
	t := strings.ToLower(strings.TrimSpace(title))
	switch t {
	case "admin", "管理员":
		return RoleAdmin
	case "secretary", "书记", "副书记", "组织委员", "班长", "团支书", "支部书记":
		return RoleSecretary
	case "staff", "工作人员", "组织员", "干事", "部长", "副部长", "分管副部长":
		return RoleStaff
	}
	return RoleMember
}

// Caller is who sent a message, with everything the bot knows about them.
type Caller struct {
	Member Member
	Roster *RosterEntry // nil until the member linked with /iam
	Admin  bool
}

// Name is the caller's roster name if linked, else their display name.
func (c Caller) Name() string {
	if c.Roster != nil {
		return c.Roster.Name
	}
	return c.Member.Name
}

// Is reports whether the caller holds role r for unit unitID (0: for some
// unit). A secretary of a unit is secretary of its whole subtree; staff of
// a department are staff for it and the units below it; an admin holds
// every role everywhere.
func (c Caller) Is(r Role, unitID int64, units *UnitTree) bool {
	if c.Admin || r == RoleMember {
		return true
	}
	if c.Roster == nil {
		return false
	}
	switch r {
	case RoleSecretary, RoleStaff:
		if c.Roster.Role != r && c.Roster.Role != RoleAdmin {
			return false
		}
		if unitID == 0 || units == nil || c.Roster.Role == RoleAdmin {
			return true
		}
		return units.Contains(c.Roster.UnitID, unitID)
	case RoleAdmin:
		return c.Roster.Role == RoleAdmin
	}
	return false
}

// DenyText is the answer to a caller who does not hold role for unit
// (0: for any unit), in the caller's terms: 「你不是第一党支部或其上级单位的
// 书记」 to a secretary of another unit; to a caller without a roster link,
// how to link. Features answer with it (through Request.Require) when a
// command acts on units its spec cannot name.
func DenyText(role Role, unitID int64, c Caller, units *UnitTree) string {
	if c.Roster == nil {
		return "你还没有绑定花名册身份。" + LinkHowTo
	}
	name := ""
	if units != nil && unitID != 0 {
		name = units.Name(unitID)
	}
	switch {
	case role == RoleAdmin:
		return "只有管理员可以使用该命令。"
	case name == "":
		return fmt.Sprintf("只有%s可以使用该命令；你在花名册中是%s。", role.Chinese(), c.Roster.Describe(units))
	case role == RoleSecretary:
		return fmt.Sprintf("你不是%s或其上级单位的书记。", name)
	case role == RoleStaff:
		return fmt.Sprintf("你不是%s的工作人员。", name)
	}
	return fmt.Sprintf("你没有%s的%s身份。", name, role.Chinese())
}

// UnboundText is the answer in a group bound to no unit to anyone but an
// admin who runs a command that needs a role: there nobody else holds one.
func UnboundText(role Role) string {
	return fmt.Sprintf("本群尚未绑定单位，在这里只有管理员可以使用需要%s身份的命令。请书记先发送 /bind <单位名称> 绑定本群。", role.Chinese())
}

// LinkHowTo tells a caller without a roster link how to get one.
const LinkHowTo = "绑定方法：/iam <学号/工号> <姓名> <绑定码>（绑定码向书记索取；普通成员也可不带绑定码，由书记确认）。"

// Describe is the entry as its unit and title: 第一党支部的党员.
func (e RosterEntry) Describe(units *UnitTree) string {
	title := e.Title
	if title == "" {
		title = e.Role.Chinese()
	}
	if units == nil || units.Name(e.UnitID) == "" {
		return title
	}
	return units.Name(e.UnitID) + "的" + title
}

// UnitTree is an immutable snapshot of the organisation tree.
type UnitTree struct {
	units    map[int64]Unit
	byName   map[string]int64
	children map[int64][]int64
}

// NewUnitTree builds a tree from a flat list.
func NewUnitTree(units []Unit) *UnitTree {
	t := &UnitTree{units: map[int64]Unit{}, byName: map[string]int64{}, children: map[int64][]int64{}}
	for _, u := range units {
		t.units[u.ID] = u
		t.byName[u.Name] = u.ID
		t.children[u.ParentID] = append(t.children[u.ParentID], u.ID)
	}
	for _, c := range t.children {
		slices.Sort(c)
	}
	return t
}

// Get returns the unit with id.
func (t *UnitTree) Get(id int64) (Unit, bool) {
	u, ok := t.units[id]
	return u, ok
}

// ByName finds a unit by its exact name.
func (t *UnitTree) ByName(name string) (Unit, bool) {
	id, ok := t.byName[strings.TrimSpace(name)]
	if !ok {
		return Unit{}, false
	}
	return t.units[id], true
}

// Name returns the unit's name, or "" for an unknown id.
func (t *UnitTree) Name(id int64) string { return t.units[id].Name }

// Contains reports whether unit inner is ancestor itself or lies below it.
func (t *UnitTree) Contains(ancestor, inner int64) bool {
	for id, seen := inner, 0; id != 0 && seen <= len(t.units); seen++ {
		if id == ancestor {
			return true
		}
		id = t.units[id].ParentID
	}
	return false
}

// Subtree lists root and every unit below it, root first, depth-first.
func (t *UnitTree) Subtree(root int64) []int64 {
	if _, ok := t.units[root]; !ok {
		return nil
	}
	out := []int64{root}
	for i := 0; i < len(out); i++ {
		out = append(out, t.children[out[i]]...)
	}
	return out
}

// Ancestors lists the unit's parents from the nearest up to the root.
func (t *UnitTree) Ancestors(id int64) []int64 {
	var out []int64
	for p := t.units[id].ParentID; p != 0 && len(out) <= len(t.units); p = t.units[p].ParentID {
		out = append(out, p)
	}
	return out
}

// All lists every unit in tree order.
func (t *UnitTree) All() []Unit {
	var out []Unit
	var walk func(parent int64, depth int)
	walk = func(parent int64, depth int) {
		for _, id := range t.children[parent] {
			out = append(out, t.units[id])
			walk(id, depth+1)
		}
	}
	walk(0, 0)
	return out
}
