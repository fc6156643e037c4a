package api_test

import (
	"strings"
	"testing"
)

// identityFlow verifies a domain through the test DNS server and an
// address through a mailed code, as an admin would through the API, and
// returns the routes it called successfully.
func identityFlow(t *testing.T, e *env, tn *tenant) []string {
	t.Helper()
	adm := tn.adminTok
	type ident struct {
		ID        int64
		Kind      string
		Value     string
		Verified  bool
		Record    struct{ Type, Name, Value string }
		LastCheck *struct {
			Records []string
			Error   string
		} `json:"last_check"`
	}
	var d ident
	r := e.do(t, "POST", "/api/v1/identities", map[string]any{"kind": "domain", "value": "Vendas." + tn.co.Slug + "-corp.test"}, bearer(adm))
	if r.status != 201 {
		t.Fatalf("claim domain: %d %s", r.status, r.body)
	}
	r.json(t, &d)
	if d.Verified || d.Record.Type != "TXT" || d.Record.Name != "vendas."+tn.co.Slug+"-corp.test" || !strings.HasPrefix(d.Record.Value, "atende-verification=") {
		t.Fatalf("domain %s", r.body)
	}
	r = e.do(t, "POST", "/api/v1/identities/"+itoa(d.ID)+"/check", nil, bearer(adm))
	r.json(t, &d)
	if r.status != 200 || d.Verified || d.LastCheck == nil || len(d.LastCheck.Records) != 0 {
		t.Fatalf("check before publishing: %d %s", r.status, r.body)
	}
	e.dns.SetTXT(d.Record.Name, "v=spf1 -all", d.Record.Value)
	r = e.do(t, "POST", "/api/v1/identities/"+itoa(d.ID)+"/check", nil, bearer(adm))
	r.json(t, &d)
	if r.status != 200 || !d.Verified || len(d.LastCheck.Records) != 2 {
		t.Fatalf("check after publishing: %d %s", r.status, r.body)
	}
	// The other company cannot claim it now.
	if r := e.do(t, "POST", "/api/v1/identities", map[string]any{"kind": "domain", "value": d.Record.Name}, bearer(e.b.adminTok)); r.status != 422 {
		t.Fatalf("claim of a verified domain by another company: %d %s", r.status, r.body)
	}

	var a ident
	r = e.do(t, "POST", "/api/v1/identities", map[string]any{"kind": "address", "value": "Atendimento." + tn.co.Slug + "@gmail.test", "language": "en"}, bearer(adm))
	if r.status != 201 {
		t.Fatalf("claim address: %d %s", r.status, r.body)
	}
	r.json(t, &a)
	code := e.mail.lastCode(t)
	if r := e.do(t, "POST", "/api/v1/identities/"+itoa(a.ID)+"/code", nil, bearer(adm)); r.status != 429 || r.problem(t).Code != "code_sent_recently" || r.header.Get("Retry-After") == "" {
		t.Fatalf("second code at once: %d %s", r.status, r.body)
	}
	wrong := "00000000"
	if code == wrong {
		wrong = "11111111"
	}
	if r := e.do(t, "POST", "/api/v1/identities/"+itoa(a.ID)+"/confirm", map[string]any{"code": wrong}, bearer(adm)); r.status != 422 || r.problem(t).Code != "wrong_code" {
		t.Fatalf("wrong code: %d %s", r.status, r.body)
	}
	r = e.do(t, "POST", "/api/v1/identities/"+itoa(a.ID)+"/confirm", map[string]any{"code": code}, bearer(adm))
	r.json(t, &a)
	if r.status != 200 || !a.Verified {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	e.clk.Advance(2 * 60e9)
	// Sending a code to a verified address is a no-op.
	if r := e.do(t, "POST", "/api/v1/identities/"+itoa(a.ID)+"/code", map[string]any{"language": "pt-BR"}, bearer(adm)); r.status != 200 {
		t.Fatalf("code for a verified address: %d %s", r.status, r.body)
	}
	var list struct{ Items []ident }
	r = e.do(t, "GET", "/api/v1/identities", nil, bearer(adm))
	r.json(t, &list)
	if r.status != 200 || len(list.Items) < 3 || list.Items[0].Kind != "domain" {
		t.Fatalf("list %s", r.body)
	}
	if r := e.do(t, "GET", "/api/v1/identities/"+itoa(a.ID), nil, bearer(adm)); r.status != 200 {
		t.Fatalf("get: %d", r.status)
	}
	if r := e.do(t, "DELETE", "/api/v1/identities/"+itoa(a.ID), nil, bearer(adm)); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	if r := e.do(t, "GET", "/api/v1/identities/"+itoa(a.ID), nil, bearer(adm)); r.status != 404 {
		t.Fatalf("deleted: %d", r.status)
	}
	return []string{"GET /api/v1/identities", "POST /api/v1/identities", "GET /api/v1/identities/{id}", "DELETE /api/v1/identities/{id}",
		"POST /api/v1/identities/{id}/check", "POST /api/v1/identities/{id}/code", "POST /api/v1/identities/{id}/confirm"}
}
