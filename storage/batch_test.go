package storage_test

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/storage"
)

// orderBatch is a check-in Batch that records the order in which the
// group-commit writer calls it, and always has deferred work after a batch.
type orderBatch struct {
	mu    sync.Mutex
	owed  bool
	calls []string
}

func (b *orderBatch) note(s string) { b.mu.Lock(); b.calls = append(b.calls, s); b.mu.Unlock() }

func (b *orderBatch) Run(ctx context.Context, tx checkin.Tx, in []checkin.Attempt) ([]checkin.Answer, error) {
	b.note("run")
	b.mu.Lock()
	b.owed = true
	b.mu.Unlock()
	return make([]checkin.Answer, len(in)), nil
}
func (b *orderBatch) After(err error) { b.note("after") }
func (b *orderBatch) Deferred() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.owed
}
func (b *orderBatch) RunDeferred(ctx context.Context, tx checkin.Tx) error {
	b.note("deferred")
	b.mu.Lock()
	b.owed = false
	b.mu.Unlock()
	return nil
}
func (b *orderBatch) AfterDeferred(err error) { b.note("after-deferred") }

func (b *orderBatch) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.calls
	b.calls = nil
	return c
}

// An action alone, after a pause, has the deferred work done in its own
// transaction (Run and RunDeferred before the one commit), so a lone
// check-in's running count is stored with it. (Actions close together
// leave it for a transaction of its own once none waits: commands/checkin's
// TestRunningCountsDeferredUnderLoad.)
func TestGroupCommitTakesDeferredWorkIntoALoneBatch(t *testing.T) {
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := &orderBatch{}
	g := db.CheckinBatcher(b)
	if _, err := g.Do(ctx, checkin.Attempt{}); err != nil {
		t.Fatal(err)
	}
	if err := g.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := b.take(), []string{"run", "deferred", "after", "after-deferred"}; !slices.Equal(got, want) {
		t.Fatalf("a lone action: calls %q, want %q", got, want)
	}

}
