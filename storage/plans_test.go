package storage

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/branchbot/branchbot/commands/study"
)

// Every SQL statement of this package is found in its source and its query
// plan checked: a statement that reads a growing table whole (a full scan of
// the table or of one of its indexes) fails this test unless the function it
// is in is listed in scanAllowed with the reason it may. So a statement
// added to a per-message or per-tick path cannot make the bot slower with
// every year of history without someone saying why here.
//
// Statements are read from the source: string constants, literals, their
// concatenations, and calls to placeholders (read as "?"), given to
// database/sql's Exec/Query/Prepare methods or to this package's helpers
// that take SQL (sqlArgs); a statement built in another way is reported
// unless its function is in dynamicSQL.

// scanAllowed lists the functions whose statements may read a growing table
// whole, with the reason.
var scanAllowed = map[string]string{
	"PrivacyPeople":        "the model's privacy filter needs every name; once per model request, which the daily budget bounds",
	"RosterCount":          "at start only, to seed an empty roster",
	"SyncRoster":           "a roster import compares its file with the whole roster (branchbot roster import)",
	"RosterWithRole":       "admins and reviewers: a roster of a few hundred entries per role, read for an admin notice",
	"ContentColumns":       "the study library, a few hundred items",
	"ContentBySlugOrTitle": "the study library, a few hundred items; a push looks its item up once per occurrence",
	"InboxCount":           "tests and crash checks only; the inbox holds the updates not yet handled, at most 1,000 per platform",
	"AddLinkFailure":       "link_failures holds only the failures of the rate limit's window: this very statement deletes the older ones",
	"AddLoginFailure":      "console_login_failures holds only the failed sign-ins of the lockout window: this very statement deletes the older ones",
	// Sorts of what a LIMIT already chose:
	"RetainedMessages": "the outer sort puts back in order the newest LIMIT messages the inner query took along its index",
	"OutboxHeads":      "sorts one head per waiting chat, not the backlog",
	"OpenTickets":      "sorts at most twice the limit: each state's tickets are taken in deadline order up to it",
}

// dynamicSQL lists the functions whose SQL is not a constant, with why.
var dynamicSQL = map[string]string{
	"apply":           "migration scripts from the embedded files",
	"newConnector":    "PRAGMAs that set up each connection",
	"readRow":         "runs its caller's statement (checked at the caller)",
	"readRows":        "runs its caller's statement (checked at the caller)",
	"hotStmt":         "prepares its caller's statement (checked at the caller)",
	"prepareWriter":   "prepares its caller's statements (checked at the caller)",
	"txStmt":          "prepares its caller's statement (checked at the caller)",
	"queryJSON":       "runs its caller's statement (checked at the caller)",
	"execJSON":        "runs its caller's statement (checked at the caller)",
	"outboxQuery":     "runs its caller's statement (checked at the caller)",
	"rosterQuery":     "runs its caller's statement (checked at the caller)",
	"ticketQuery":     "runs its caller's WHERE clause (checked at the caller)",
	"sessionQuery":    "runs its caller's statement (checked at the caller)",
	"relayQuery":      "runs its caller's statement (checked at the caller)",
	"stampRows":       "runs its caller's statement (checked at the caller)",
	"idSets":          "runs its caller's statement (checked at the caller)",
	"chunked":         "runs its caller's statement (fixtures)",
	"RowCounts":       "counts each table by name",
	"GenerateHistory": "fixtures for benchmarks",
	"Populate":        "fixtures for benchmarks",
	"Do":              "prepares its writer's statements (checked where they run)",
	"addInbox":        "runs the statement it prepared with txStmt (checked there); the statement's ExecContext takes values, not SQL",
}

// sqlArgs are the functions and methods that take SQL: the argument
// positions holding it and what the function puts around it.
var sqlArgs = map[string]struct {
	args           []int
	prefix, suffix string
}{
	"ExecContext": {args: []int{1}}, "QueryContext": {args: []int{1}}, "QueryRowContext": {args: []int{1}}, "PrepareContext": {args: []int{1}},
	"Exec": {args: []int{0}}, "Query": {args: []int{0}}, "QueryRow": {args: []int{0}},
	"readRow": {args: []int{1}}, "readRows": {args: []int{1}}, "hotStmt": {args: []int{1}}, "prepareWriter": {args: []int{1, 2, 3, 4, 5, 6}}, "txStmt": {args: []int{2}},
	"queryJSON": {args: []int{2}}, "execJSON": {args: []int{2}},
	"outboxQuery": {args: []int{1}}, "rosterQuery": {args: []int{1}},
	"ticketQuery":  {args: []int{1}, prefix: "SELECT " + ticketCols + " FROM tickets "},
	"sessionQuery": {args: []int{2}}, "relayQuery": {args: []int{2}},
	"idSets":  {args: []int{2}, suffix: "?)"},
	"chunked": {args: []int{1, 3}},
}

type statement struct {
	fn, sql string
	pos     token.Position
}

// sourceStatements reads every statement of the package's non-test files.
func sourceStatements(t *testing.T) (stmts []statement, dynamic map[string][]token.Position) {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var parsed []*ast.File
	consts := map[string]ast.Expr{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, af)
		ast.Inspect(af, func(n ast.Node) bool {
			if gd, ok := n.(*ast.GenDecl); ok && gd.Tok == token.CONST {
				for _, sp := range gd.Specs {
					vs := sp.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if i < len(vs.Values) {
							consts[name.Name] = vs.Values[i]
						}
					}
				}
			}
			return true
		})
	}
	dynamic = map[string][]token.Position{}
	for _, af := range parsed {
		for _, decl := range af.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			fn := fd.Name.Name
			// Local variables made by := and grown by += may hold SQL: all
			// their pieces are read as one statement (every optional clause
			// included). One assigned with = is not read.
			locals := map[string][]ast.Expr{}
			reassigned := map[string]bool{}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				as, ok := n.(*ast.AssignStmt)
				if !ok {
					return true
				}
				for i, l := range as.Lhs {
					id, ok := l.(*ast.Ident)
					if !ok {
						continue
					}
					switch {
					case as.Tok == token.DEFINE && len(as.Rhs) == len(as.Lhs):
						if _, seen := locals[id.Name]; seen {
							reassigned[id.Name] = true
						}
						locals[id.Name] = []ast.Expr{as.Rhs[i]}
					case as.Tok == token.ADD_ASSIGN:
						locals[id.Name] = append(locals[id.Name], as.Rhs[i])
					default:
						reassigned[id.Name] = true
					}
				}
				return true
			})
			// A range over a literal list of statements runs each of them.
			ranged := map[string][]ast.Expr{}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if rs, ok := n.(*ast.RangeStmt); ok {
					if v, ok := rs.Value.(*ast.Ident); ok {
						if cl, ok := rs.X.(*ast.CompositeLit); ok {
							ranged[v.Name] = cl.Elts
						}
					}
				}
				return true
			})
			var eval func(e ast.Expr) (string, bool)
			eval = func(e ast.Expr) (string, bool) {
				switch e := e.(type) {
				case *ast.BasicLit:
					if e.Kind != token.STRING {
						return "", false
					}
					s, err := strconv.Unquote(e.Value)
					return s, err == nil
				case *ast.ParenExpr:
					return eval(e.X)
				case *ast.BinaryExpr:
					if e.Op != token.ADD {
						return "", false
					}
					a, ok1 := eval(e.X)
					b, ok2 := eval(e.Y)
					return a + b, ok1 && ok2
				case *ast.Ident:
					if xs, ok := locals[e.Name]; ok && !reassigned[e.Name] {
						var b strings.Builder
						for _, x := range xs {
							s, ok := eval(x)
							if !ok {
								return "", false
							}
							b.WriteString(s)
						}
						return b.String(), true
					}
					if x, ok := consts[e.Name]; ok {
						return eval(x)
					}
				case *ast.CallExpr:
					if id, ok := e.Fun.(*ast.Ident); ok && id.Name == "placeholders" {
						return "?", true
					}
				}
				return "", false
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				var name string
				switch f := call.Fun.(type) {
				case *ast.SelectorExpr:
					name = f.Sel.Name
				case *ast.Ident:
					name = f.Name
				}
				spec, ok := sqlArgs[name]
				if !ok {
					return true
				}
				for _, i := range spec.args {
					if i >= len(call.Args) {
						continue
					}
					if id, ok := call.Args[i].(*ast.Ident); ok && ranged[id.Name] != nil {
						for _, el := range ranged[id.Name] {
							if s, ok := eval(el); ok {
								stmts = append(stmts, statement{fn: fn, sql: spec.prefix + s + spec.suffix, pos: fset.Position(call.Pos())})
							} else {
								dynamic[fn] = append(dynamic[fn], fset.Position(el.Pos()))
							}
						}
						continue
					}
					s, ok := eval(call.Args[i])
					if !ok {
						dynamic[fn] = append(dynamic[fn], fset.Position(call.Args[i].Pos()))
						continue
					}
					stmts = append(stmts, statement{fn: fn, sql: spec.prefix + s + spec.suffix, pos: fset.Position(call.Pos())})
				}
				return true
			})
		}
	}
	return stmts, dynamic
}

// smallTables stay small however long the bot runs: a full scan of one
// costs nothing that grows.
var smallTables = map[string]bool{
	"units": true, "roster_version": true, "schema_migrations": true, "push_schedules": true,
	"assist_retention": true, "assist_budget": true, "bench_baseline": true, "sqlite_schema": true,
}

var (
	scanRE  = regexp.MustCompile(`^SCAN (\S+)(?: USING (?:COVERING )?INDEX (\S+))?`)
	aliasRE = regexp.MustCompile(`(?i)\b(?:FROM|JOIN|UPDATE|INTO)\s+([a-z_][a-z0-9_.]*)(?:\s+(?:AS\s+)?([a-z_][a-z0-9_]*))?`)
)

// fullScans explains stmt and returns the plan lines that read a growing
// table whole. A scan of a partial index reads only the rows it holds (the
// few that match its WHERE), not the table.
func fullScans(t *testing.T, db *DB, tables, partial map[string]bool, st statement) ([]string, error) {
	q := strings.TrimSpace(st.sql)
	upper := strings.ToUpper(q)
	if strings.HasPrefix(upper, "PRAGMA") || strings.HasPrefix(upper, "CREATE") || strings.HasPrefix(upper, "DROP") ||
		strings.HasPrefix(upper, "ANALYZE") || strings.HasPrefix(upper, "VACUUM") || strings.HasPrefix(upper, "BEGIN") {
		return nil, nil
	}
	// The tables the statement reads. A plan also shows the foreign key
	// checks of an insert or an update, which SQLite runs only while a
	// deferred violation is outstanding: only a DELETE (whose checks of the
	// rows referring to the deleted ones always run) is held to every table.
	alias := map[string]string{}
	for _, m := range aliasRE.FindAllStringSubmatch(q, -1) {
		if strings.EqualFold(strings.Fields(m[0])[0], "INTO") {
			continue
		}
		table := strings.TrimPrefix(m[1], "temp.")
		alias[table] = table
		if m[2] != "" && !slices.Contains([]string{"where", "on", "set", "join", "left", "group", "order", "values", "select", "limit", "using", "as"}, strings.ToLower(m[2])) {
			alias[m[2]] = table
		}
	}
	isDelete := strings.HasPrefix(upper, "DELETE")
	limited := strings.Contains(upper, " LIMIT ")
	// Parameters are left NULL: a plan does not depend on their values.
	rows, err := db.r.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, make([]any, 100)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return nil, err
		}
		if limited && strings.HasPrefix(detail, "USE TEMP B-TREE FOR ORDER BY") {
			out = append(out, detail+" (sorts every matching row to keep LIMIT of them)")
			continue
		}
		m := scanRE.FindStringSubmatch(detail)
		if m == nil {
			continue
		}
		table, mentioned := alias[m[1]]
		if !mentioned {
			if !isDelete {
				continue
			}
			table = m[1]
		}
		if tables[table] && !smallTables[table] && !partial[m[2]] {
			out = append(out, detail)
		}
	}
	return out, rows.Err()
}

func TestNoStatementReadsAGrowingTableWhole(t *testing.T) {
	db := openTestDB(t, "")
	if err := db.BaselineInserts(context.Background(), 0); err != nil { // creates its table
		t.Fatal(err)
	}
	names, err := db.tableNames(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]bool{}
	for _, n := range names {
		tables[n] = true
	}
	rows, err := db.r.QueryContext(context.Background(), `SELECT name FROM sqlite_schema WHERE type = 'index' AND sql LIKE '% WHERE %'`)
	if err != nil {
		t.Fatal(err)
	}
	partialNames, err := collect(rows, func(r rowScanner) (string, error) {
		var n string
		return n, r.Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	partial := map[string]bool{}
	for _, n := range partialNames {
		partial[n] = true
	}
	stmts, dynamic := sourceStatements(t)
	if len(stmts) < 100 {
		t.Fatalf("found only %d statements in the source: is the reader broken?", len(stmts))
	}
	var fns []string
	for fn := range dynamic {
		fns = append(fns, fn)
	}
	sort.Strings(fns)
	for _, fn := range fns {
		if _, ok := dynamicSQL[fn]; !ok {
			t.Errorf("%s: SQL that is not a constant at %v: make it one (with placeholders() for IN lists), or list %s in dynamicSQL with the reason", fn, dynamic[fn], fn)
		}
	}
	scanned := map[string]bool{}
	checked := 0
	for _, st := range stmts {
		if _, fixture := dynamicSQL[st.fn]; fixture && (st.fn == "GenerateHistory" || st.fn == "Populate" || st.fn == "chunked") {
			continue
		}
		scans, err := fullScans(t, db, tables, partial, st)
		if err != nil {
			t.Errorf("%s (%s): explain: %v\n%s", st.fn, st.pos, err, st.sql)
			continue
		}
		checked++
		if len(scans) == 0 {
			continue
		}
		scanned[st.fn] = true
		if _, ok := scanAllowed[st.fn]; !ok {
			t.Errorf("%s (%s) reads a growing table whole: %s\n%s\nAdd an index (a migration), or list %s in scanAllowed with the reason it may.",
				st.fn, st.pos, strings.Join(scans, "; "), strings.Join(strings.Fields(st.sql), " "), st.fn)
		}
	}
	for fn := range scanAllowed {
		if !scanned[fn] {
			t.Errorf("scanAllowed lists %s, which no longer reads a table whole: remove it", fn)
		}
	}
	for fn := range dynamicSQL {
		if _, ok := dynamic[fn]; !ok {
			t.Errorf("dynamicSQL lists %s, which has no SQL that is not a constant: remove it", fn)
		}
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "checked the plans of %d statements\n", checked)
	}
}

// RunningPushes names the running status in its SQL so that the partial
// index push_runs_running serves it: the feature's status must be that word.
func TestRunningPushStatusIsTheIndexedWord(t *testing.T) {
	if study.RunRunning != "running" {
		t.Fatalf("study.RunRunning is %q; RunningPushes and push_runs_running say 'running'", study.RunRunning)
	}
}
