package storetest

import (
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/store"
)

// noticesTests are the conformance cases of the store.Notices group.
func noticesTests() []Case {
	return []Case{
		{"Notices", testNotices},
		{"Notices dedupe by code", testNoticesDedupe},
		{"Notices company isolation", testNoticesIsolation},
		{"Notices key and params", testNoticeKeyParams},
	}
}

func testNotices(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	base := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	n1 := &store.Notice{CompanyID: f.co.ID, ChannelID: f.ch.ID, Kind: store.NoticeForwardingConfirmation,
		Title: "Gmail forwarding confirmation", Body: "x@y.test wants to forward", Code: "123456789",
		Link: "https://mail-settings.google.com/mail/vf-abc", RawKey: "sha256/" + hex64('a'), CreatedAt: base}
	must(t, s.CreateNotice(ctx, n1))
	if n1.ID == 0 {
		t.Fatal("notice ID not set")
	}
	n2 := &store.Notice{CompanyID: f.co.ID, Kind: store.NoticeReconnect, Title: "Reconnect", CreatedAt: base.Add(time.Minute)}
	must(t, s.CreateNotice(ctx, n2))
	n3 := &store.Notice{CompanyID: f.co.ID, ChannelID: f.ch.ID, Kind: store.NoticeForwardingConfirmation, Title: "Second",
		Code: "987654321", CreatedAt: base.Add(2 * time.Minute)}
	must(t, s.CreateNotice(ctx, n3))

	got, err := s.GetNotice(ctx, f.co.ID, n1.ID)
	must(t, err)
	if got.ChannelID != f.ch.ID || got.Kind != n1.Kind || got.Title != n1.Title || got.Body != n1.Body ||
		got.Code != "123456789" || got.Link != n1.Link || got.RawKey != n1.RawKey || !got.CreatedAt.Equal(base) || !got.ReadAt.IsZero() {
		t.Fatalf("get notice = %+v, want %+v", got, n1)
	}
	got, err = s.GetNotice(ctx, f.co.ID, n2.ID)
	must(t, err)
	if got.ChannelID != 0 || got.Code != "" {
		t.Fatalf("company-wide notice = %+v", got)
	}

	all, err := s.ListNotices(ctx, f.co.ID, store.NoticeFilter{})
	must(t, err)
	if ids := noticeIDs(all); len(ids) != 3 || ids[0] != n3.ID || ids[1] != n2.ID || ids[2] != n1.ID {
		t.Fatalf("list ids = %v, want newest first [%d %d %d]", ids, n3.ID, n2.ID, n1.ID)
	}
	byCh, err := s.ListNotices(ctx, f.co.ID, store.NoticeFilter{ChannelID: f.ch.ID})
	must(t, err)
	if ids := noticeIDs(byCh); len(ids) != 2 || ids[0] != n3.ID || ids[1] != n1.ID {
		t.Fatalf("by channel ids = %v", ids)
	}
	lim, err := s.ListNotices(ctx, f.co.ID, store.NoticeFilter{Limit: 1})
	must(t, err)
	if len(lim) != 1 || lim[0].ID != n3.ID {
		t.Fatalf("limit 1 = %v", noticeIDs(lim))
	}

	unread, err := s.CountUnreadNotices(ctx, f.co.ID)
	must(t, err)
	if unread != 3 {
		t.Fatalf("unread = %d, want 3", unread)
	}
	readAt := base.Add(time.Hour)
	must(t, s.MarkNoticeRead(ctx, f.co.ID, n1.ID, readAt))
	// A second MarkRead keeps the first read time.
	must(t, s.MarkNoticeRead(ctx, f.co.ID, n1.ID, readAt.Add(time.Hour)))
	got, err = s.GetNotice(ctx, f.co.ID, n1.ID)
	must(t, err)
	if !got.ReadAt.Equal(readAt) {
		t.Fatalf("read_at = %v, want %v", got.ReadAt, readAt)
	}
	unreadList, err := s.ListNotices(ctx, f.co.ID, store.NoticeFilter{UnreadOnly: true})
	must(t, err)
	if ids := noticeIDs(unreadList); len(ids) != 2 || ids[0] != n3.ID || ids[1] != n2.ID {
		t.Fatalf("unread ids = %v", ids)
	}
	if unread, err = s.CountUnreadNotices(ctx, f.co.ID); err != nil || unread != 2 {
		t.Fatalf("unread = %d, %v; want 2", unread, err)
	}
	wantErr(t, s.MarkNoticeRead(ctx, f.co.ID, n1.ID+1000, readAt), store.ErrNotFound)
	_, err = s.GetNotice(ctx, f.co.ID, n1.ID+1000)
	wantErr(t, err, store.ErrNotFound)
}

func testNoticesDedupe(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	n := store.Notice{CompanyID: f.co.ID, ChannelID: f.ch.ID, Kind: store.NoticeForwardingConfirmation, Title: "T", Code: "555"}
	first := n
	must(t, s.CreateNotice(ctx, &first))
	again := n
	again.RawKey = "sha256/" + hex64('b')
	wantErr(t, s.CreateNotice(ctx, &again), store.ErrConflict)
	if again.ID != first.ID {
		t.Fatalf("conflict id = %d, want %d", again.ID, first.ID)
	}
	// Inside a transaction the conflict must not poison it (PostgreSQL).
	must(t, s.Tx(ctx, func(q store.Queries) error {
		dup := n
		wantErr(t, q.CreateNotice(ctx, &dup), store.ErrConflict)
		other := n
		other.Code = "556"
		return q.CreateNotice(ctx, &other)
	}))
	// Notices without a code never conflict.
	for i := 0; i < 2; i++ {
		must(t, s.CreateNotice(ctx, &store.Notice{CompanyID: f.co.ID, ChannelID: f.ch.ID, Kind: store.NoticeReconnect, Title: "R"}))
	}
	all, err := s.ListNotices(ctx, f.co.ID, store.NoticeFilter{})
	must(t, err)
	if len(all) != 4 {
		t.Fatalf("notices = %d, want 4", len(all))
	}
}

func testNoticesIsolation(t *testing.T, s store.Store, clk *clock.Fake) {
	a := newFixture(t, s, "acme")
	b := newFixture(t, s, "beta")
	na := &store.Notice{CompanyID: a.co.ID, ChannelID: a.ch.ID, Kind: store.NoticeForwardingConfirmation, Title: "A", Code: "111"}
	must(t, s.CreateNotice(ctx, na))
	// The same code in another company is another notice.
	nb := &store.Notice{CompanyID: b.co.ID, ChannelID: b.ch.ID, Kind: store.NoticeForwardingConfirmation, Title: "B", Code: "111"}
	must(t, s.CreateNotice(ctx, nb))
	if nb.ID == na.ID {
		t.Fatal("same ID across companies")
	}
	_, err := s.GetNotice(ctx, b.co.ID, na.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.MarkNoticeRead(ctx, b.co.ID, na.ID, clk.Now()), store.ErrNotFound)
	got, err := s.GetNotice(ctx, a.co.ID, na.ID)
	must(t, err)
	if !got.ReadAt.IsZero() {
		t.Fatal("another company marked the notice read")
	}
	lb, err := s.ListNotices(ctx, b.co.ID, store.NoticeFilter{})
	must(t, err)
	if len(lb) != 1 || lb[0].ID != nb.ID || lb[0].Title != "B" {
		t.Fatalf("company b notices = %+v", lb)
	}
	if n, err := s.CountUnreadNotices(ctx, b.co.ID); err != nil || n != 1 {
		t.Fatalf("company b unread = %d, %v", n, err)
	}
}

func noticeIDs(ns []store.Notice) []int64 {
	out := make([]int64, len(ns))
	for i, n := range ns {
		out[i] = n.ID
	}
	return out
}

func hex64(c byte) string {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return string(b)
}

// A notice's message key and parameters come back as written (in Get and
// List); a notice without them (written as text only) has Key "" and nil
// Params.
func testNoticeKeyParams(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	params := map[string]string{"minutes": "12", "detail": "dial tcp 127.0.0.1:993: connection refused «ç» \"q\"\n2", "empty": ""}
	n := &store.Notice{CompanyID: f.co.ID, ChannelID: f.ch.ID, Kind: "failing", Key: "notice.imap_down", Params: params,
		Title: "A caixa de email do canal não responde", Body: "há 12 min", Code: "imap-1", CreatedAt: clk.Now()}
	must(t, s.CreateNotice(ctx, n))
	old := &store.Notice{CompanyID: f.co.ID, Kind: store.NoticeReconnect, Title: "Texto antigo", Body: "corpo", CreatedAt: clk.Now().Add(time.Second)}
	must(t, s.CreateNotice(ctx, old))

	got, err := s.GetNotice(ctx, f.co.ID, n.ID)
	must(t, err)
	if got.Key != "notice.imap_down" || len(got.Params) != len(params) || got.Title != n.Title || got.Body != n.Body {
		t.Fatalf("get notice = %+v", got)
	}
	for k, v := range params {
		if p, ok := got.Params[k]; !ok || p != v {
			t.Fatalf("param %q = %q (present %v), want %q", k, p, ok, v)
		}
	}
	all, err := s.ListNotices(ctx, f.co.ID, store.NoticeFilter{})
	must(t, err)
	if len(all) != 2 || all[0].ID != old.ID || all[1].ID != n.ID {
		t.Fatalf("list ids = %v", noticeIDs(all))
	}
	if all[0].Key != "" || all[0].Params != nil || all[0].Title != "Texto antigo" {
		t.Fatalf("text-only notice = %+v", all[0])
	}
	if all[1].Key != n.Key || all[1].Params["detail"] != params["detail"] {
		t.Fatalf("listed notice = %+v", all[1])
	}
}
