package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/commands/tickets"
)

// BenchmarkTicketQueue renders the ticket queue page of a department with
// 5,000 open tickets (the page shows the 1,000 with the earliest deadlines)
// beside the bare query of the same rows in the same run:
//
//	go test -run XXX -bench TicketQueue -benchtime 20x ./console/
func BenchmarkTicketQueue(b *testing.B) {
	d := newDeskTB(b)
	d.suggest("/suggest 党课资料能否提前一天发到群里")
	ctx := context.Background()
	first, err := d.h.DB.Ticket(ctx, 1)
	if err != nil {
		b.Fatal(err)
	}
	now := d.h.Clock.Now()
	err = d.h.DB.UpdateTickets(ctx, now, func(tx tickets.Tx) error {
		for i := 1; i < 5000; i++ {
			tk := first
			tk.ID = 0
			tk.Text = fmt.Sprintf("第 %d 条建议：党课资料能否提前一天发到群里", i+1)
			tk.CreatedAt = now.Add(-time.Duration(i) * 10 * time.Minute) // the last ~35 days
			tk.FirstDueAt = tk.CreatedAt.Add(50 * time.Hour)
			tk.DueAt, tk.RemindAt = tk.FirstDueAt, tk.FirstDueAt.Add(-8*time.Hour)
			tk.Anonymous = i%5 == 0
			if _, err := tx.InsertTicket(tk); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	c := d.client()
	d.signIn(c, staffNumber, staffPass)
	cookie := c.Jar.Cookies(mustURL(d.srv.URL))
	dept := []int64{d.unitID("组织部")}

	b.Run("bare query", func(b *testing.B) {
		for b.Loop() {
			ts, err := d.h.DB.OpenTickets(ctx, dept, 1000)
			if err != nil || len(ts) != 1000 {
				b.Fatalf("%d rows, %v", len(ts), err)
			}
		}
	})
	b.Run("queue page", func(b *testing.B) {
		for b.Loop() {
			req := httptest.NewRequest(http.MethodGet, "/tickets", nil)
			for _, ck := range cookie {
				req.AddCookie(ck)
			}
			rec := httptest.NewRecorder()
			d.srv.Config.Handler.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || strings.Count(rec.Body.String(), `<tr class=`) != 1000 {
				b.Fatalf("queue page = %d with %d rows", rec.Code, strings.Count(rec.Body.String(), `<tr class=`))
			}
		}
	})
}
