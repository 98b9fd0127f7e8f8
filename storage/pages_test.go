package storage

import (
	"context"
	"testing"
)

// The sizes read from the file's b-trees count every row and fit in the
// file.
func TestSizesCountRowsFromTheFile(t *testing.T) {
	ctx := context.Background()
	db, _ := fixtureDB(t, 3)
	if err := db.CheckpointAll(ctx); err != nil {
		t.Fatal(err)
	}
	counts, err := db.RowCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sz, err := db.Sizes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pages int64
	seen := map[string]bool{}
	for _, ts := range sz.Tables {
		seen[ts.Table] = true
		if ts.Rows != counts[ts.Table] {
			t.Errorf("%s: %d rows from the file, COUNT(*) says %d", ts.Table, ts.Rows, counts[ts.Table])
		}
		pages += ts.TablePages + ts.IndexPages
	}
	for table := range counts {
		if !seen[table] {
			t.Errorf("no size for %s", table)
		}
	}
	if sz.PageSize != 4096 || pages == 0 || pages+sz.FreePages > sz.Pages {
		t.Fatalf("page size %d, %d pages in trees, %d free, %d in the file", sz.PageSize, pages, sz.FreePages, sz.Pages)
	}
	if sz.Tables[0].Table != "outbox" && sz.Tables[0].Table != "checkins" {
		t.Errorf("largest table %s", sz.Tables[0].Table)
	}
}
