package api_test

import (
	"strings"
	"testing"

	"github.com/atende-helpdesk/atende/internal/model"
)

// TestTicketListSearchSortView: the API's ticket list uses the store's
// full-text search (snippets with the match marked, HTML escaped), the
// sorts with their keyset cursors and the views (issue 15 items 5-7).
func TestTicketListSearchSortView(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		{
			a := e.a
			tk := e.ticket(t, a, "Entrega", 0)
			m := &model.Message{CompanyID: a.co.ID, TicketID: tk.ID, ChannelID: a.ch.ID, Direction: model.DirIn, Status: model.MsgReceived,
				From: model.Address{Address: "x@cliente.test"}, Subject: "Entrega", Text: "O pedido <b>NÃO</b> chegou em Curitiba."}
			must(t, e.st.CreateMessage(ctx, m))
			var l struct {
				Items []struct {
					ID          int64
					SnippetHTML string `json:"snippet_html"`
				}
				NextCursor string `json:"next_cursor"`
			}
			r := e.do(t, "GET", "/api/v1/tickets?q=nao+chegou", nil, bearer(a.agentTok))
			wantCode(t, r, 200)
			r.json(t, &l)
			if len(l.Items) != 1 || l.Items[0].ID != tk.ID || !strings.Contains(l.Items[0].SnippetHTML, "&lt;b&gt;<mark>NÃO</mark>&lt;/b&gt; <mark>chegou</mark>") {
				t.Fatalf("search (an unrouted ticket, as a plain agent): %s", r.body)
			}
			// Sorts page with keyset cursors; an unknown sort or view is refused.
			seen := map[int64]bool{}
			cursor := ""
			for range 5 {
				r := e.do(t, "GET", "/api/v1/tickets?sort=priority&limit=1&cursor="+cursor, nil, bearer(a.adminTok))
				wantCode(t, r, 200)
				l.NextCursor = ""
				r.json(t, &l)
				for _, it := range l.Items {
					if seen[it.ID] {
						t.Fatalf("ticket %d twice", it.ID)
					}
					seen[it.ID] = true
				}
				if cursor = l.NextCursor; cursor == "" {
					break
				}
			}
			if len(seen) != 3 {
				t.Fatalf("pages saw %d tickets", len(seen))
			}
			wantCode(t, e.do(t, "GET", "/api/v1/tickets?sort=sideways", nil, bearer(a.adminTok)), 422)
			wantCode(t, e.do(t, "GET", "/api/v1/tickets?view=nobodys", nil, bearer(a.adminTok)), 422)
			r = e.do(t, "GET", "/api/v1/tickets?view=unassigned", nil, bearer(a.agentTok))
			wantCode(t, r, 200)
			r.json(t, &l)
			if len(l.Items) != 2 { // the unrouted one and the agent's team's unassigned one
				t.Fatalf("unassigned view: %s", r.body)
			}
		}
	})
}

func wantCode(t *testing.T, r resp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("HTTP %d, want %d: %s", r.status, status, r.body)
	}
}

// Issue 15 item 10: the ticket list filters on priority and tag; an
// unknown priority is a 422 naming the field.
func TestTicketListPriorityAndTag(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		a := e.a
		urgent := e.ticket(t, a, "Urgente", 0)
		urgent.Priority, urgent.Tags = "urgent", []string{"vip"}
		must(t, e.st.UpdateTicket(ctx, urgent))
		e.ticket(t, a, "Normal", 0)
		var l struct{ Items []struct{ ID int64 } }
		r := e.do(t, "GET", "/api/v1/tickets?priority=urgent&tag=VIP", nil, bearer(a.adminTok))
		wantCode(t, r, 200)
		r.json(t, &l)
		if len(l.Items) != 1 || l.Items[0].ID != urgent.ID {
			t.Fatalf("priority=urgent&tag=VIP: %s", r.body)
		}
		r = e.do(t, "GET", "/api/v1/tickets?priority=soon", nil, bearer(a.adminTok))
		wantCode(t, r, 422)
		if !strings.Contains(string(r.body), "priority") {
			t.Fatalf("bad priority: %s", r.body)
		}
	})
}
