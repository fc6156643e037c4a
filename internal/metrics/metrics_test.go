package metrics_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/metrics"
	"github.com/atende-helpdesk/atende/internal/store"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

func has(t *testing.T, body string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(body, l+"\n") {
			t.Errorf("metrics lack %q", l)
		}
	}
}

// TestSMTPListener counts sessions and the final reply codes a server
// writes, however the writes are split (multi-line replies count once).
func TestSMTPListener(t *testing.T) {
	m := metrics.New()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	wl := m.SMTPListener(ln)
	defer wl.Close()
	served := make(chan struct{})
	go func() {
		defer close(served)
		c, err := wl.Accept()
		if err != nil {
			return
		}
		// a greeting, a multi-line EHLO answer split mid-code, a 550, a 250, a 221
		for _, w := range []string{"220 atende ESMTP\r\n", "250-atende\r\n250-PIPE", "LINING\r\n25", "0 8BITMIME\r\n", "550 5.1.1 no\r\n250 ok\r\n", "221 bye\r\n"} {
			c.Write([]byte(w))
		}
		c.Close()
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, c)
	c.Close()
	<-served
	has(t, scrape(t, m), `atende_smtp_replies_total{code="220"} 1`, `atende_smtp_replies_total{code="250"} 2`,
		`atende_smtp_replies_total{code="550"} 1`, `atende_smtp_replies_total{code="221"} 1`,
		"atende_smtp_sessions_total 1", "atende_smtp_sessions_active 0")
}

// TestHTTPAndQueues: latency by matched route and status; queue depth,
// running and age read from the store at scrape time.
func TestHTTPAndQueues(t *testing.T) {
	m := metrics.New()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /tickets/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) })
	h := m.HTTP(mux)
	for _, p := range []string{"/tickets/1", "/tickets/2", "/nowhere"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	m.WatchQueues(fakeQueues{{Queue: "inbound", State: "pending", Count: 7, Oldest: now.Add(-90 * time.Second), Running: 2},
		{Queue: "outbox.send", State: "failed", Count: 1, Oldest: now.Add(-time.Hour)}}, func() time.Time { return now })
	m.Accepted("imap", 4, false)
	m.Accepted("imap", 4, true)
	m.Failed(4, true)
	m.Processed(4)
	m.Delivery(nil)
	m.Delivery(errors.New("550"))
	body := scrape(t, m)
	has(t, body, `atende_http_request_duration_seconds_count{code="404",method="GET",route="GET /tickets/{id}"} 2`,
		`atende_queue_depth{queue="inbound",state="pending"} 7`, `atende_queue_running{queue="inbound"} 2`,
		`atende_queue_oldest_age_seconds{queue="inbound",state="pending"} 90`, `atende_queue_depth{queue="outbox.send",state="failed"} 1`,
		`atende_messages_accepted_total{channel="4",source="imap"} 1`, `atende_messages_duplicate_total{channel="4",source="imap"} 1`,
		`atende_messages_failed_total{channel="4",permanent="true"} 1`, `atende_messages_processed_total{channel="4"} 1`,
		`atende_outbox_deliveries_total{result="sent"} 1`, `atende_outbox_deliveries_total{result="failed"} 1`)
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		if strings.Contains(sc.Text(), `route="other"`) && strings.Contains(sc.Text(), "_count") {
			return
		}
	}
	t.Error("the unmatched request is not counted under route=other")
}

type fakeQueues []store.QueueStats

func (f fakeQueues) QueueStats(context.Context) ([]store.QueueStats, error) { return f, nil }
