package bot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/storage"
)

// BenchmarkDispatch measures raw command dispatch, messages per second
// through parse → resolve chat and member → role check → handler → outbox
// insert, on a real SQLite file. The baseline is a bare loop of single-row
// inserts into the same kind of database, measured in the same run.
func BenchmarkDispatch(b *testing.B) {
	b.Run("engine", func(b *testing.B) {
		v := newEnv(b, "", bot.Limits{}, nil)
		ctx := context.Background()
		msgs := make([]bot.Message, 1000)
		for i := range msgs {
			msgs[i] = msg(fmt.Sprintf("群%d", i%100), fmt.Sprintf("/echo 第%d条", i))
			msgs[i].SenderID = fmt.Sprintf("u%d", i)
		}
		for _, m := range msgs { // first sight of every chat and member
			v.e.Receive(ctx, m)
		}
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			v.e.Receive(ctx, msgs[i%len(msgs)])
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		if got := v.f.calls.Load(); got != int64(b.N+len(msgs)) {
			b.Fatalf("handler ran %d times, want %d", got, b.N+len(msgs))
		}
	})
	b.Run("bare-insert", func(b *testing.B) {
		db, err := storage.Open(context.Background(), filepath.Join(b.TempDir(), "base.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		b.ResetTimer()
		start := time.Now()
		if err := db.BaselineInserts(context.Background(), b.N); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "inserts/s")
	})
}
