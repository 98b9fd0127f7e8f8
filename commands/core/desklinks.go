package core

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/when"
)

// The desk's link management: /links, /linkcode and /links approve|reject
// for a secretary outside a chat (the web console), with the chat's scope
// rules (IssueRefusal for codes, a secretary of the entry's unit or above
// for requests).

// UnlinkedEntry is a roster entry no identity is linked to, as its
// secretary sees it.
type UnlinkedEntry struct {
	Name, Number, Unit, Title string
	// Refusal says why the caller may not issue its code ("" when they
	// may: the page offers the button).
	Refusal string
}

// PendingLink is a link request waiting for a secretary.
type PendingLink struct {
	ID      int64
	Account string // the requesting chat identity's name
	Name    string // the roster entry asked for
	Number  string
	Unit    string
	Asked   string // 11-23 09:00, or 今天 09:00
	// Refusal says why it cannot be approved (a privileged entry needs a
	// code); "" when it can.
	Refusal string
}

// LinkDesk is a unit's link state for its secretary.
type LinkDesk struct {
	Unlinked []UnlinkedEntry
	Requests []PendingLink
}

// DeskLinks lists who of a unit and the units below it is not linked, and
// the pending link requests for them, if c is their secretary (or above)
// or an admin: what /links shows.
func (f *Feature) DeskLinks(ctx context.Context, c bot.Caller, unitID int64) (LinkDesk, error) {
	units := f.engine.Units()
	if _, ok := units.Get(unitID); !ok {
		return LinkDesk{}, bot.Errorf("没有这个单位。")
	}
	if err := bot.Require(c, units, bot.RoleSecretary, unitID); err != nil {
		return LinkDesk{}, err
	}
	scope := units.Subtree(unitID)
	entries, links, err := EntriesWithLinks(ctx, f.db, scope)
	if err != nil {
		return LinkDesk{}, fmt.Errorf("links of unit %d: %w", unitID, err)
	}
	var d LinkDesk
	for _, e := range Unlinked(entries, links) {
		d.Unlinked = append(d.Unlinked, UnlinkedEntry{Name: e.Name, Number: e.Number, Unit: units.Name(e.UnitID), Title: roleTitle(e),
			Refusal: IssueRefusal(c, e, units)})
	}
	reqs, err := f.db.PendingLinkRequests(ctx, scope)
	if err != nil {
		return d, fmt.Errorf("link requests of unit %d: %w", unitID, err)
	}
	now, loc := f.engine.Now(), f.engine.Location()
	for _, q := range reqs {
		e, err := f.db.RosterEntry(ctx, q.RosterID)
		if err != nil {
			return d, err
		}
		m, err := f.db.Member(ctx, q.MemberID)
		if err != nil {
			return d, err
		}
		p := PendingLink{ID: q.ID, Account: m.Name, Name: e.Name, Number: e.Number, Unit: units.Name(e.UnitID), Asked: when.Clock(q.CreatedAt.In(loc), now)}
		if Privileged(e) {
			p.Refusal = fmt.Sprintf("%s身份只能凭绑定码绑定", roleTitle(e))
		}
		d.Requests = append(d.Requests, p)
	}
	return d, nil
}

// DeskIssueCode issues a one-time link code for the roster entry with the
// 学号/工号 number as c, exactly as /linkcode does (the entry's earlier
// unused codes are revoked); the caller hands it to the person.
func (f *Feature) DeskIssueCode(ctx context.Context, c bot.Caller, number string) (IssuedCode, error) {
	number = strings.TrimSpace(number)
	e, err := f.db.RosterByNumber(ctx, number)
	if errors.Is(err, bot.ErrNotFound) {
		return IssuedCode{}, bot.Errorf("花名册中没有学号/工号「%s」。", number)
	}
	if err != nil {
		return IssuedCode{}, err
	}
	if no := IssueRefusal(c, e, f.engine.Units()); no != "" {
		return IssuedCode{}, &bot.UserError{Text: no, Denied: true}
	}
	codes, err := IssueCodes(ctx, f.db, f.rand, []bot.RosterEntry{e}, c.Name(), f.engine.Now(), f.link.CodeTTL, nil)
	if err != nil {
		return IssuedCode{}, err
	}
	f.log.Info("link code issued from the desk", "roster", e.ID)
	return codes[0], nil
}

// DeskApproveLink approves pending link request id as c, exactly as
// /links approve does. It returns the acknowledgement.
func (f *Feature) DeskApproveLink(ctx context.Context, c bot.Caller, id int64) (string, error) {
	req, entry, m, err := f.decidableRequest(ctx, c, id)
	if err != nil {
		return "", err
	}
	return f.approveRequest(ctx, c, req, entry, m, 0)
}

// DeskRejectLink refuses pending link request id as c with an optional
// reason, exactly as /links reject does. It returns the acknowledgement.
func (f *Feature) DeskRejectLink(ctx context.Context, c bot.Caller, id int64, reason string) (string, error) {
	req, entry, m, err := f.decidableRequest(ctx, c, id)
	if err != nil {
		return "", err
	}
	return f.rejectRequest(ctx, c, req, entry, m, strings.TrimSpace(reason), 0)
}
