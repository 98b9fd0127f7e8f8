package bot

import (
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

// Is reports whether the caller holds role r for unit unitID (0: any unit).
// A secretary of a unit is secretary of its whole subtree; staff of a
// department are staff wherever they are.
func (c Caller) Is(r Role, unitID int64, units *UnitTree) bool {
	if c.Admin || r == RoleMember {
		return true
	}
	if c.Roster == nil {
		return false
	}
	switch r {
	case RoleSecretary:
		if c.Roster.Role != RoleSecretary && c.Roster.Role != RoleAdmin {
			return false
		}
		if unitID == 0 || units == nil {
			return true
		}
		return units.Contains(c.Roster.UnitID, unitID)
	case RoleStaff:
		return c.Roster.Role == RoleStaff || c.Roster.Role == RoleAdmin
	case RoleAdmin:
		return c.Roster.Role == RoleAdmin
	}
	return false
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
