package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/web/api"
)

type delivery struct {
	header http.Header
	body   []byte
	status int
}

// receiver answers with the statuses in script (then 200); a status of 0
// means "hang longer than the client's timeout".
type receiver struct {
	mu     sync.Mutex
	script []int
	got    []delivery
	srv    *httptest.Server
}

func newReceiver(t *testing.T, script ...int) *receiver {
	rc := &receiver{script: script}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		status := 200
		if len(rc.script) > 0 {
			status, rc.script = rc.script[0], rc.script[1:]
		}
		rc.got = append(rc.got, delivery{r.Header.Clone(), body, status})
		rc.mu.Unlock()
		if status == 0 {
			time.Sleep(400 * time.Millisecond)
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

func TestWebhooksSignedAndRetried(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		rcA := newReceiver(t, 0, 503) // a timeout, then a 5xx, then success
		rcB := newReceiver(t)
		var secret string
		for _, x := range []struct {
			tok string
			url string
		}{{e.a.adminTok, rcA.srv.URL}, {e.b.adminTok, rcB.srv.URL}} {
			r := e.do(t, "POST", "/api/v1/webhooks", map[string]any{"url": x.url + "/hook", "events": []string{"ticket.created", "message.received", "ticket.updated"}}, bearer(x.tok))
			if r.status != 201 {
				t.Fatalf("create webhook: %d %s", r.status, r.body)
			}
			if secret == "" {
				var v struct{ Secret string }
				r.json(t, &v)
				secret = v.Secret
			}
		}
		// Events of company A only: a new ticket from ingest, then a note.
		e.hub.MessageStored(ctx, ingest.Event{CompanyID: e.a.co.ID, TicketID: e.a.mine.ID, MessageID: 7, NewTicket: true})
		if r := e.do(t, "POST", "/api/v1/tickets/"+itoa(e.a.mine.ID)+"/notes", map[string]string{"text": "x"}, bearer(e.a.agentTok)); r.status != 201 {
			t.Fatalf("note: %d", r.status)
		}
		w := &api.WebhookWorker{Store: e.st, Client: &http.Client{Timeout: 150 * time.Millisecond}, Log: quietLog(),
			Clock: e.clk, Backoff: func(int) time.Duration { return time.Minute }, Box: e.box}
		n, err := w.RunOnce(ctx)
		must(t, err)
		if n != 3 {
			t.Fatalf("first round attempted %d jobs, want 3", n)
		}
		if n, _ := w.RunOnce(ctx); n != 0 {
			t.Fatalf("failed jobs retried before their backoff: %d", n)
		}
		e.clk.Advance(61 * time.Second)
		sentAt := e.clk.Now()
		if n, _ := w.RunOnce(ctx); n != 2 {
			t.Fatalf("second round attempted %d jobs, want the 2 failed ones", n)
		}
		e.clk.Advance(time.Hour)
		if n, _ := w.RunOnce(ctx); n != 0 {
			t.Fatalf("delivered jobs ran again: %d", n)
		}
		ds := rcA.deliveries()
		if len(ds) != 5 {
			t.Fatalf("receiver got %d requests, want 5", len(ds))
		}
		okByType := map[string]int{}
		deliveryIDs := map[string][]int{}
		for _, d := range ds {
			ts, _ := strconv.ParseInt(d.header.Get(api.HeaderTimestamp), 10, 64)
			sentAt := time.Unix(ts, 0)
			if err := api.Verify(secret, d.header.Get(api.HeaderSignature), d.header.Get(api.HeaderTimestamp), d.body, sentAt.Add(10*time.Second), 2*time.Minute); err != nil {
				t.Fatalf("signature does not verify: %v (%s)", err, d.body)
			}
			var body struct {
				Type     string
				TicketID int64 `json:"ticket_id"`
			}
			must(t, json.Unmarshal(d.body, &body))
			if body.Type != d.header.Get(api.HeaderEvent) || body.TicketID != e.a.mine.ID {
				t.Fatalf("body %s headers %v", d.body, d.header)
			}
			deliveryIDs[d.header.Get(api.HeaderDelivery)] = append(deliveryIDs[d.header.Get(api.HeaderDelivery)], d.status)
			if d.status == 200 {
				okByType[body.Type]++
			}
		}
		if okByType["ticket.created"] != 1 || okByType["message.received"] != 1 || okByType["ticket.updated"] != 1 {
			t.Fatalf("successful deliveries %v", okByType)
		}
		if len(deliveryIDs) != 3 {
			t.Fatalf("delivery ids %v: a retry must keep its delivery id", deliveryIDs)
		}
		last := ds[len(ds)-1]
		ts, _ := strconv.ParseInt(last.header.Get(api.HeaderTimestamp), 10, 64)
		if !time.Unix(ts, 0).Equal(sentAt.Truncate(time.Second)) {
			t.Fatalf("timestamp %d is not the worker clock's send time", ts)
		}
		if api.Verify(secret, last.header.Get(api.HeaderSignature), last.header.Get(api.HeaderTimestamp), append(last.body, ' '), time.Unix(ts, 0), 2*time.Minute) == nil {
			t.Fatal("tampered body verified")
		}
		if api.Verify(secret, last.header.Get(api.HeaderSignature), last.header.Get(api.HeaderTimestamp), last.body, e.clk.Now(), 2*time.Minute) == nil {
			t.Fatal("replayed delivery verified")
		}
		if got := rcB.deliveries(); len(got) != 0 {
			t.Fatalf("company B's webhook got company A's events: %d", len(got))
		}
	})
}

// sseClient reads an event stream into a channel of "event|data" strings.
func sseClient(t *testing.T, e *env, tok string) (<-chan string, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	out := make(chan string, 16)
	go func() {
		defer res.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		var ev string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				out <- ev + "|" + strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return out, cancel
}

func TestEventsAreTenantScoped(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		if r := e.do(t, "GET", "/api/v1/events", nil); r.status != 401 {
			t.Fatalf("unauthenticated stream: %d", r.status)
		}
		evA, stopA := sseClient(t, e, e.a.agentTok)
		evB, stopB := sseClient(t, e, e.b.adminTok)
		deadline := time.Now().Add(5 * time.Second)
		for e.hub.Subscribers(e.a.co.ID) != 1 || e.hub.Subscribers(e.b.co.ID) != 1 {
			if time.Now().After(deadline) {
				t.Fatal("subscribers did not register")
			}
			time.Sleep(5 * time.Millisecond)
		}
		// An event of a ticket outside the agent's teams is not streamed to them.
		if r := e.do(t, "POST", "/api/v1/tickets/"+itoa(e.a.other.ID)+"/notes", map[string]string{"text": "n2"}, bearer(e.a.adminTok)); r.status != 201 {
			t.Fatalf("note: %d", r.status)
		}
		if r := e.do(t, "POST", "/api/v1/tickets/"+itoa(e.a.mine.ID)+"/status", map[string]string{"status": "pending"}, bearer(e.a.agentTok)); r.status != 200 {
			t.Fatalf("status: %d", r.status)
		}
		if r := e.do(t, "POST", "/api/v1/tickets/"+itoa(e.b.other.ID)+"/notes", map[string]string{"text": "b"}, bearer(e.b.adminTok)); r.status != 201 {
			t.Fatalf("note: %d", r.status)
		}
		next := func(ch <-chan string) string {
			select {
			case s := <-ch:
				return s
			case <-time.After(5 * time.Second):
				t.Fatal("no event")
			}
			return ""
		}
		a, b := next(evA), next(evB)
		if !strings.HasPrefix(a, "ticket.updated|") || !strings.Contains(a, `"ticket_id":`+itoa(e.a.mine.ID)+",") {
			t.Fatalf("A got %q", a)
		}
		if !strings.Contains(b, `"ticket_id":`+itoa(e.b.other.ID)+",") {
			t.Fatalf("company B's first event is %q, not its own (it saw company A's?)", b)
		}
		select {
		case s := <-evB:
			t.Fatalf("B got another event %q", s)
		case <-time.After(150 * time.Millisecond): // three heartbeats, no events
		}
		stopA()
		stopB()
		for e.hub.Subscribers(e.a.co.ID)+e.hub.Subscribers(e.b.co.ID) != 0 {
			if time.Now().After(deadline) {
				t.Fatal("stream handlers did not stop after the clients left")
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}
