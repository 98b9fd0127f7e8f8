package storage

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// collect keeps the rows' order, and a failing scan returns no rows but
// the error, with the rows closed so the read pool is not starved.
func TestCollect(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db := openTestDB(t, "")
	scanInt := func(r rowScanner) (int, error) {
		var n int
		err := r.Scan(&n)
		return n, err
	}
	const q = `SELECT 3 UNION ALL SELECT 1 UNION ALL SELECT 2`
	rows, err := db.r.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	got, err := collect(rows, scanInt)
	if err != nil || len(got) != 3 || got[0] != 3 || got[1] != 1 || got[2] != 2 {
		t.Fatalf("collect = %v, %v; want [3 1 2]", got, err)
	}

	rows, err = db.r.QueryContext(ctx, `SELECT 0 WHERE 0`)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := collect(rows, scanInt); err != nil || got != nil {
		t.Fatalf("collect of no rows = %#v, %v; want nil, nil", got, err)
	}

	boom := errors.New("boom")
	for i := 0; i < 2*db.r.Stats().MaxOpenConnections+2; i++ {
		rows, err = db.r.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		got, err = collect(rows, func(r rowScanner) (int, error) {
			n, err := scanInt(r)
			if err == nil && n == 1 {
				return 0, boom
			}
			return n, err
		})
		if !errors.Is(err, boom) || got != nil {
			t.Fatalf("collect with a failing scan = %v, %v; want nil, boom", got, err)
		}
	}
	if n := db.r.Stats().InUse; n != 0 {
		t.Fatalf("%d read connections still in use after collect", n)
	}
}

// idSets reads every key, across the 500-key chunks, and groups the second
// column by the first.
func TestIDSets(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t, "")
	const n = 1201
	var keys []int64
	for k := int64(1); k <= n; k++ {
		keys = append(keys, k)
	}
	q := `WITH RECURSIVE num(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM num WHERE x < 2000)
		SELECT x % 7, x FROM num WHERE x IN (`
	got, err := db.idSets(ctx, "test", q, keys)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for k, vs := range got {
		for v := range vs {
			if v%7 != k || v < 1 || v > n {
				t.Fatalf("idSets put %d under %d", v, k)
			}
			total++
		}
	}
	if len(got) != 7 || total != n {
		t.Fatalf("idSets: %d groups, %d values; want 7, %d", len(got), total, n)
	}
	if got, err := db.idSets(ctx, "test", q, nil); err != nil || len(got) != 0 {
		t.Fatalf("idSets of no keys = %v, %v", got, err)
	}
	if _, err := db.idSets(ctx, "read nothing", `SELECT 1, 2 FROM no_such_table WHERE x IN (`, keys); err == nil || !strings.HasPrefix(err.Error(), "read nothing: ") {
		t.Fatalf("idSets error = %v; want it named", err)
	}
}

// openTestDB opens the database at path (a new one in a temporary folder if
// path is "") and closes it when the test ends.
func openTestDB(t *testing.T, path string) *DB {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "t.db")
	}
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
