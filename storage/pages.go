package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// TableSize is the space one table takes in the database file, with its
// indexes, read from the file's b-trees (SQLite's dbstat table is not
// compiled into this build).
type TableSize struct {
	Table        string
	Rows         int64 // rows of the table (entries, for a table WITHOUT ROWID)
	TablePages   int64 // pages of the table's b-tree and overflow chains
	IndexPages   int64 // pages of its indexes
	IndexEntries int64
}

// FileSize is the whole file's layout.
type FileSize struct {
	Path      string
	PageSize  int64
	Pages     int64 // in the file (header count)
	FreePages int64 // on the freelist: what a VACUUM would give back
	WALBytes  int64
	Tables    []TableSize // largest first
	// Unread names the tables and indexes whose pages did not read as a
	// b-tree: made or moved since the last checkpoint (their pages are
	// still only in the WAL), or changed by a checkpoint while being read.
	Unread []string
}

// Sizes reads the size of every table and index. It reads the file as last
// checkpointed: changes still only in the WAL are not counted, and a
// checkpoint running meanwhile can make a page read twice or not at all, so
// the figures are approximate while a bot writes.
func (db *DB) Sizes(ctx context.Context) (FileSize, error) {
	out := FileSize{Path: db.path}
	rows, err := db.r.QueryContext(ctx, `SELECT type, name, tbl_name, rootpage FROM sqlite_schema WHERE rootpage > 0 ORDER BY tbl_name, type DESC, name`)
	if err != nil {
		return out, fmt.Errorf("read schema: %w", err)
	}
	type tree struct {
		kind, name, table string
		root              int64
	}
	trees, err := collect(rows, func(r rowScanner) (tree, error) {
		var t tree
		return t, r.Scan(&t.kind, &t.name, &t.table, &t.root)
	})
	if err != nil {
		return out, fmt.Errorf("read schema: %w", err)
	}
	f, err := os.Open(db.path)
	if err != nil {
		return out, err
	}
	defer f.Close()
	if fi, err := os.Stat(db.path + "-wal"); err == nil {
		out.WALBytes = fi.Size()
	}
	var hdr [100]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		return out, fmt.Errorf("read header of %s: %w", db.path, err)
	}
	out.PageSize = int64(binary.BigEndian.Uint16(hdr[16:]))
	if out.PageSize == 1 {
		out.PageSize = 65536
	}
	out.Pages = int64(binary.BigEndian.Uint32(hdr[28:]))
	out.FreePages = int64(binary.BigEndian.Uint32(hdr[36:]))
	w := &pageWalker{f: f, size: out.PageSize, usable: out.PageSize - int64(hdr[20]), pages: out.Pages, seen: map[int64]bool{}}
	byTable := map[string]*TableSize{}
	for _, t := range trees {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		ts := byTable[t.table]
		if ts == nil {
			ts = &TableSize{Table: t.table}
			byTable[t.table] = ts
		}
		pages, entries, err := w.tree(t.root)
		if errors.Is(err, errBadPage) {
			out.Unread = append(out.Unread, t.name)
			continue
		}
		if err != nil {
			return out, fmt.Errorf("%s %s: %w", t.kind, t.name, err)
		}
		if t.kind == "table" {
			ts.TablePages, ts.Rows = pages, entries
		} else {
			ts.IndexPages += pages
			ts.IndexEntries += entries
		}
	}
	for _, ts := range byTable {
		out.Tables = append(out.Tables, *ts)
	}
	sort.Slice(out.Tables, func(i, j int) bool {
		a, b := out.Tables[i], out.Tables[j]
		if a.TablePages+a.IndexPages != b.TablePages+b.IndexPages {
			return a.TablePages+a.IndexPages > b.TablePages+b.IndexPages
		}
		return a.Table < b.Table
	})
	return out, nil
}

// pageWalker counts the pages and entries of b-trees in a database file
// (https://www.sqlite.org/fileformat2.html#b_tree_pages).
type pageWalker struct {
	f      io.ReaderAt
	size   int64 // page size
	usable int64 // page size less the reserved bytes
	pages  int64
	seen   map[int64]bool
	buf    []byte
}

var errBadPage = errors.New("unexpected page (the file changed while it was read?)")

// tree returns the pages (with overflow pages) of the b-tree at root and
// its entries: the rows of a table (cells of its leaves) or the entries of
// an index (cells of every page).
func (w *pageWalker) tree(root int64) (pages, entries int64, err error) {
	stack := []int64{root}
	for len(stack) > 0 {
		pg := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if pg < 1 || pg > w.pages || w.seen[pg] {
			return pages, entries, errBadPage
		}
		w.seen[pg] = true
		pages++
		if w.buf == nil {
			w.buf = make([]byte, w.size)
		}
		b := w.buf
		if _, err := w.f.ReadAt(b, (pg-1)*w.size); err != nil {
			return pages, entries, err
		}
		h := int64(0)
		if pg == 1 {
			h = 100
		}
		kind := b[h]
		cells := int64(binary.BigEndian.Uint16(b[h+3:]))
		interior := kind == 2 || kind == 5
		ptrs := h + 8
		if interior {
			ptrs = h + 12
			stack = append(stack, int64(binary.BigEndian.Uint32(b[h+8:])))
		}
		switch kind {
		case 2, 10, 5, 13:
		default:
			return pages, entries, errBadPage
		}
		if kind != 5 {
			entries += cells
		}
		var overflow []int64
		for i := range cells {
			off := int64(binary.BigEndian.Uint16(b[ptrs+2*i:]))
			if off < h || off+4 > w.size {
				return pages, entries, errBadPage
			}
			c := off
			if interior {
				stack = append(stack, int64(binary.BigEndian.Uint32(b[c:])))
				c += 4
			}
			if kind == 5 { // interior table cells hold only a key
				continue
			}
			payload, n := varint(b[c:])
			c += n
			if kind == 13 {
				_, n = varint(b[c:]) // the rowid
				c += n
			}
			if next := w.overflowPage(b, c, payload, kind == 13); next != 0 {
				overflow = append(overflow, next)
			}
		}
		for _, next := range overflow {
			for next != 0 {
				if next > w.pages || w.seen[next] {
					return pages, entries, errBadPage
				}
				w.seen[next] = true
				pages++
				var p [4]byte
				if _, err := w.f.ReadAt(p[:], (next-1)*w.size); err != nil {
					return pages, entries, err
				}
				next = int64(binary.BigEndian.Uint32(p[:]))
			}
		}
	}
	return pages, entries, nil
}

// overflowPage is the first overflow page of a cell whose payload of size
// p starts at c, or 0 if it fits on the page.
func (w *pageWalker) overflowPage(b []byte, c, p int64, table bool) int64 {
	u := w.usable
	x := u - 35
	if !table {
		x = (u-12)*64/255 - 23
	}
	if p <= x {
		return 0
	}
	m := (u-12)*32/255 - 23
	k := m + (p-m)%(u-4)
	local := m
	if k <= x {
		local = k
	}
	if c+local+4 > int64(len(b)) {
		return 0
	}
	return int64(binary.BigEndian.Uint32(b[c+local:]))
}

// varint reads SQLite's big-endian variable-length integer.
func varint(b []byte) (int64, int64) {
	var v int64
	for i := range min(len(b), 9) {
		if i == 8 {
			return v<<8 | int64(b[i]), 9
		}
		v = v<<7 | int64(b[i]&0x7f)
		if b[i] < 0x80 {
			return v, int64(i + 1)
		}
	}
	return v, int64(len(b))
}
