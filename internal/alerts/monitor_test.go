package alerts_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/alerts"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

type events struct {
	mu  sync.Mutex
	evs []ticket.Event
}

func (e *events) Publish(ctx context.Context, ev ticket.Event) {
	e.mu.Lock()
	e.evs = append(e.evs, ev)
	e.mu.Unlock()
}

func (e *events) types() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.evs {
		out = append(out, ev.Type)
	}
	return out
}

func TestStreakNoticeEventAndRecovery(t *testing.T) {
	ctx := context.Background()
	clk := testclock.New(t)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := &model.Company{Slug: "a", Name: "A"}
	b := &model.Company{Slug: "b", Name: "B"}
	for _, c := range []*model.Company{a, b} {
		if err := st.CreateCompany(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	ch := &model.Channel{CompanyID: a.ID, Slug: "c", Name: "C", Enabled: true, Incoming: model.ConnInternal, Outgoing: model.ConnInternal, InboundToken: "tok"}
	if err := st.CreateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	evs := &events{}
	m := alerts.New(st, evs, clk, slog.New(slog.NewTextHandler(&logs, nil)), alerts.Config{After: 5 * time.Minute})

	// A relay failing for 4 minutes: logged once, nobody told yet.
	for i := 0; i < 100; i++ {
		m.Fail(ctx, a.ID, ch.ID, alerts.CauseRelay, "connection refused")
		clk.Advance(2400 * time.Millisecond)
		m.Sweep(ctx)
	}
	if n := strings.Count(logs.String(), "streak began"); n != 1 {
		t.Fatalf("%d log lines for 100 failures, want 1", n)
	}
	if n, _ := st.CountUnreadNotices(ctx, a.ID); n != 0 || len(evs.types()) != 0 {
		t.Fatalf("told after 4 min: %d notices, events %v", n, evs.types())
	}
	// Past 5 minutes: one notice, one channel.failing event.
	clk.Advance(61 * time.Second)
	m.Fail(ctx, a.ID, ch.ID, alerts.CauseRelay, "connection refused")
	m.Sweep(ctx)
	m.Sweep(ctx)
	ns, err := st.ListNotices(ctx, a.ID, store.NoticeFilter{UnreadOnly: true})
	if err != nil || len(ns) != 1 || ns == nil || ns[0].Kind != alerts.NoticeKind || ns[0].ChannelID != ch.ID || !strings.Contains(ns[0].Body, "relay") {
		t.Fatalf("notices %+v %v\n%s", ns, err, logs.String())
	}
	if got := evs.types(); len(got) != 1 || got[0] != alerts.EventChannelFailing {
		t.Fatalf("events %v", got)
	}
	if n, _ := st.CountUnreadNotices(ctx, b.ID); n != 0 {
		t.Fatal("company B told about company A's channel")
	}
	// Recovery: the notice is cleared (read), channel.recovered sent, logged.
	m.OK(ctx, a.ID, ch.ID, alerts.CauseRelay)
	if n, _ := st.CountUnreadNotices(ctx, a.ID); n != 0 {
		t.Fatalf("notice still unread after recovery")
	}
	if got := evs.types(); len(got) != 2 || got[1] != alerts.EventChannelRecovered {
		t.Fatalf("events %v", got)
	}
	if !strings.Contains(logs.String(), "failing: recovered") {
		t.Fatalf("recovery not logged:\n%s", logs.String())
	}

	// A node-wide cause (disk) tells every company.
	m.Fail(ctx, 0, 0, alerts.CauseDisk, "10 MB free")
	clk.Advance(6 * time.Minute)
	m.Sweep(ctx)
	for _, c := range []*model.Company{a, b} {
		if n, _ := st.CountUnreadNotices(ctx, c.ID); n != 1 {
			t.Fatalf("company %s: %d unread notices about the disk, want 1", c.Slug, n)
		}
	}
}

// A streak long enough to tell whose notice could not be written while it
// lasted (the database was the cause, or it ended between sweeps) is told
// when it ends: an unread notice for every company and channel.recovered;
// a short streak tells nobody.
func TestToldAfterTheFactWhenTheNoticeCouldNotBeWritten(t *testing.T) {
	ctx := context.Background()
	clk := testclock.New(t)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := &model.Company{Slug: "a", Name: "A"}
	if err := st.CreateCompany(ctx, a); err != nil {
		t.Fatal(err)
	}
	evs := &events{}
	m := alerts.New(st, evs, clk, slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)), alerts.Config{After: 3 * time.Second})

	// Short: 2 s, nobody told.
	m.Fail(ctx, 0, 0, alerts.CauseDatabase, "the database does not answer")
	clk.Advance(2 * time.Second)
	m.OK(ctx, 0, 0, alerts.CauseDatabase)
	if n, _ := st.CountUnreadNotices(ctx, a.ID); n != 0 || len(evs.types()) != 0 {
		t.Fatalf("a 2 s blip told the admins: %d notices, events %v", n, evs.types())
	}
	// Long, with no sweep able to write (no sweep at all here): told at the end.
	m.Fail(ctx, 0, 0, alerts.CauseDatabase, "the database does not answer")
	clk.Advance(6 * time.Second)
	m.OK(ctx, 0, 0, alerts.CauseDatabase)
	ns, err := st.ListNotices(ctx, a.ID, store.NoticeFilter{UnreadOnly: true})
	if err != nil || len(ns) != 1 || !strings.Contains(ns[0].Title, "banco de dados") {
		t.Fatalf("notices after a 6 s outage: %+v %v", ns, err)
	}
	if got := evs.types(); len(got) != 2 || got[0] != alerts.EventChannelFailing || got[1] != alerts.EventChannelRecovered {
		t.Fatalf("events %v", got)
	}
}

// The Monitor's notice carries its message key and parameters (so each
// reader sees it in their language), for every cause, and the
// channel.failing event names the same notice, key and parameters.
func TestNoticeKeyParamsAndEvent(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ cause, key string }{
		{alerts.CauseIMAP, alerts.KeyIMAP}, {alerts.CauseAuth, alerts.KeyAuth}, {alerts.CauseSending, alerts.KeySending},
		{alerts.CauseRelay, alerts.KeyRelay}, {alerts.CauseDisk, alerts.KeyDisk}, {alerts.CauseDatabase, alerts.KeyDatabase},
		{"dns", alerts.KeyFailing},
	} {
		t.Run(tc.cause, func(t *testing.T) {
			clk := testclock.New(t)
			st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"), clk)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			a := &model.Company{Slug: "a", Name: "A"}
			if err := st.CreateCompany(ctx, a); err != nil {
				t.Fatal(err)
			}
			evs := &events{}
			m := alerts.New(st, evs, clk, nil, alerts.Config{After: 5 * time.Minute})
			m.Fail(ctx, 0, 0, tc.cause, "connection refused")
			clk.Advance(7*time.Minute + 20*time.Second)
			m.Sweep(ctx)
			ns, err := st.ListNotices(ctx, a.ID, store.NoticeFilter{})
			if err != nil || len(ns) != 1 {
				t.Fatalf("notices %+v %v", ns, err)
			}
			n := ns[0]
			want := map[string]string{"minutes": "7", "detail": "connection refused"}
			if tc.key == alerts.KeyFailing {
				want["cause"] = tc.cause
			}
			if n.Key != tc.key || len(n.Params) != len(want) {
				t.Fatalf("notice key %q params %v, want %q %v", n.Key, n.Params, tc.key, want)
			}
			for k, v := range want {
				if n.Params[k] != v {
					t.Fatalf("param %s = %q, want %q", k, n.Params[k], v)
				}
			}
			// The stored text stays the pt-BR fallback.
			if title, body := alerts.Text(tc.cause, "connection refused", 7*time.Minute+20*time.Second); n.Title != title || n.Body != body ||
				!strings.Contains(n.Body, "7 min") {
				t.Fatalf("stored text %q / %q", n.Title, n.Body)
			}
			evs.mu.Lock()
			defer evs.mu.Unlock()
			if len(evs.evs) != 1 {
				t.Fatalf("events %+v", evs.evs)
			}
			ev := evs.evs[0]
			if ev.Type != alerts.EventChannelFailing || ev.NoticeID != n.ID || ev.NoticeKey != tc.key || ev.NoticeParams["minutes"] != "7" ||
				ev.NoticeParams["detail"] != "connection refused" || ev.Cause != tc.cause {
				t.Fatalf("event %+v, notice %d", ev, n.ID)
			}
		})
	}
}
