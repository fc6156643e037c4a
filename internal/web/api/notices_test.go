package api_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/alerts"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/ticket"
	"github.com/atende-helpdesk/atende/internal/web/api"
)

type noticeJSON struct {
	ID       int64             `json:"id"`
	Key      string            `json:"key"`
	Params   map[string]string `json:"params"`
	Language string            `json:"language"`
	Title    string            `json:"title"`
	Body     string            `json:"body"`
}

// GET /notices gives each notice's key and parameters and its text in the
// request's language: Accept-Language among the UI's languages, else
// English; a notice stored as text only keeps its (pt-BR) text.
func TestNoticesInRequestLanguage(t *testing.T) {
	e := newEnv(t, "sqlite")
	a := e.a
	n := &store.Notice{CompanyID: a.co.ID, ChannelID: a.ch.ID, Kind: "mail_refused_unverified", Key: "notice.mail_refused",
		Params: map[string]string{"address": "vendas@acme.test", "day": "2026-11-21", "channel": "Suporte"},
		Title:  "E-mail recusado para vendas@acme.test", Body: "texto gravado", Code: "vendas@acme.test 2026-11-21", CreatedAt: e.clk.Now()}
	must(t, e.st.CreateNotice(ctx, n))
	for _, tc := range []struct{ accept, lang, title string }{
		{"", "en", "Mail refused for vendas@acme.test"},
		{"de-DE", "en", "Mail refused for vendas@acme.test"},
		{"pt-BR,pt;q=0.9,en;q=0.5", "pt-BR", "E-mail recusado para vendas@acme.test"},
		{"en-US", "en", "Mail refused for vendas@acme.test"},
	} {
		opts := []reqOpt{bearer(a.adminTok)}
		if tc.accept != "" {
			opts = append(opts, header("Accept-Language", tc.accept))
		}
		r := e.do(t, "GET", "/api/v1/notices", nil, opts...)
		if r.status != 200 {
			t.Fatalf("%q: %d %s", tc.accept, r.status, r.body)
		}
		var v struct{ Items []noticeJSON }
		must(t, json.Unmarshal(r.body, &v))
		byID := map[int64]noticeJSON{}
		for _, it := range v.Items {
			byID[it.ID] = it
		}
		got, old := byID[n.ID], byID[a.noticeID]
		if got.Key != "notice.mail_refused" || got.Params["address"] != "vendas@acme.test" || got.Params["day"] != "2026-11-21" ||
			got.Language != tc.lang || got.Title != tc.title || got.Body == "texto gravado" || got.Body == "" {
			t.Fatalf("%q: keyed notice %+v\n%s", tc.accept, got, r.body)
		}
		if old.Key != "" || old.Params != nil || old.Language != "pt-BR" || old.Title != "Confirme o encaminhamento do Gmail" {
			t.Fatalf("%q: text-only notice %+v", tc.accept, old)
		}
	}
	// POST /notices/{id}/read answers the notice the same way.
	r := e.do(t, "POST", "/api/v1/notices/"+strconv.FormatInt(n.ID, 10)+"/read", nil, bearer(a.adminTok), header("Accept-Language", "pt-BR"))
	var one noticeJSON
	must(t, json.Unmarshal(r.body, &one))
	if r.status != 200 || one.Language != "pt-BR" || one.Title != "E-mail recusado para vendas@acme.test" || one.Key != "notice.mail_refused" {
		t.Fatalf("read notice %d %s", r.status, r.body)
	}
}

// The channel.failing webhook carries the notice's id, key and parameters.
func TestNoticeKeyInFailingWebhook(t *testing.T) {
	e := newEnv(t, "sqlite")
	a := e.a
	w := &store.Webhook{CompanyID: a.co.ID, URL: "http://127.0.0.1:1/hook", Secret: "s", Events: []string{alerts.EventChannelFailing}, Enabled: true}
	must(t, e.st.CreateWebhook(ctx, w))
	key, params := alerts.Message(alerts.CauseIMAP, "connection refused", 0)
	e.hub.Publish(ctx, ticket.Event{Type: alerts.EventChannelFailing, CompanyID: a.co.ID, ChannelID: a.ch.ID, Cause: alerts.CauseIMAP,
		Detail: "connection refused", NoticeID: 42, NoticeKey: key, NoticeParams: params})
	jobs, err := e.st.ClaimJobs(ctx, []string{api.JobKindWebhook}, time.Minute, 10)
	must(t, err)
	if len(jobs) != 1 {
		t.Fatalf("jobs %+v", jobs)
	}
	var job struct{ Body json.RawMessage }
	must(t, json.Unmarshal(jobs[0].Payload, &job))
	var body struct {
		Type         string            `json:"type"`
		NoticeID     int64             `json:"notice_id"`
		NoticeKey    string            `json:"notice_key"`
		NoticeParams map[string]string `json:"notice_params"`
	}
	must(t, json.Unmarshal(job.Body, &body))
	if body.Type != alerts.EventChannelFailing || body.NoticeID != 42 || body.NoticeKey != alerts.KeyIMAP ||
		body.NoticeParams["minutes"] != "1" || body.NoticeParams["detail"] != "connection refused" {
		t.Fatalf("webhook body %s", job.Body)
	}
}
