package ui_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/alerts"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
)

// The same admin notice, written once by the alerts Monitor, reads in
// Portuguese for a pt-BR admin and in English for an English admin of the
// same company; a notice written before notices had keys shows its stored
// text to both.
func TestNoticeInReadersLanguage(t *testing.T) {
	e := newEnv(t)
	c := e.company(t, "acme", "pt-BR")
	en, err := e.dir.CreateAgent(ctx, c.co.ID, directory.AgentInput{Email: "emma@acme.test", Name: "Emma Admin",
		Role: model.RoleAdmin, Password: adminPassword, Language: "en"})
	must(t, err)

	clk := testclock.New(t)
	m := alerts.New(e.st, nil, clk, slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)), alerts.Config{After: 5 * time.Minute})
	m.Fail(ctx, c.co.ID, c.ch.ID, alerts.CauseIMAP, "dial tcp 127.0.0.1:993: connection refused")
	clk.Advance(12 * time.Minute)
	m.Sweep(ctx)
	old := &store.Notice{CompanyID: c.co.ID, Kind: "failing", Title: "Aviso antigo em português",
		Body: "Gravado antes das chaves.", CreatedAt: clk.Now().Add(-time.Hour)}
	must(t, e.st.CreateNotice(ctx, old))
	ns, err := e.st.ListNotices(ctx, c.co.ID, store.NoticeFilter{})
	must(t, err)
	if len(ns) != 2 || ns[0].Key != alerts.KeyIMAP {
		t.Fatalf("notices %+v", ns)
	}

	pt := e.client(t, "pt-BR")
	wantRedirect(t, pt.login("acme", c.admin.Email, adminPassword), "/inbox")
	enc := e.client(t, "pt-BR") // the browser asks for Portuguese: the agent's setting wins
	wantRedirect(t, enc.login("acme", en.Email, adminPassword), "/inbox")

	pp := pt.get("/admin/notices")
	wantStatus(t, pp, http.StatusOK)
	wantContains(t, pp, "A caixa de email do canal não responde",
		"O Atende não consegue se conectar ao servidor IMAP deste canal há 12 min.",
		"Detalhe: dial tcp 127.0.0.1:993: connection refused", "Falha persistente · Suporte",
		"Aviso antigo em português", "Gravado antes das chaves.")
	noMissing(t, pp)
	ep := enc.get("/admin/notices")
	wantStatus(t, ep, http.StatusOK)
	wantContains(t, ep, "The channel&#39;s mailbox does not answer",
		"Atende has not been able to connect to this channel&#39;s IMAP server for 12 min.",
		"Detail: dial tcp 127.0.0.1:993: connection refused", "Persistent failure · Suporte",
		"Aviso antigo em português", "Gravado antes das chaves.")
	noMissing(t, ep)
	for _, pt := range []string{"não responde", "Detalhe:", "Falha persistente"} {
		if strings.Contains(ep.body, pt) {
			t.Fatalf("English admin sees %q", pt)
		}
	}
	for _, en := range []string{"does not answer", "Detail:", "Persistent failure"} {
		if strings.Contains(pp.body, en) {
			t.Fatalf("Portuguese admin sees %q", en)
		}
	}
}
