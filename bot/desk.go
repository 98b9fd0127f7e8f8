package bot

// RequireUnit is the scope rule of a unit's pages outside a chat (the web
// console): the unit exists, and c holds role for it (Require).
func RequireUnit(c Caller, tree *UnitTree, role Role, unitID int64) error {
	if _, ok := tree.Get(unitID); !ok {
		return Errorf("没有这个单位。")
	}
	return Require(c, tree, role, unitID)
}
