package api_test

import (
	"encoding/json"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/web/api"
)

// concrete fills a route pattern with tn's ids.
func concrete(path string, tn *tenant) string {
	kind := strings.Split(strings.TrimPrefix(path, "/api/v1/"), "/")[0]
	id := map[string]int64{"tokens": tn.tokenID, "agents": tn.agent.ID, "teams": tn.team.ID, "channels": tn.ch.ID,
		"tickets": tn.mine.ID, "webhooks": tn.webhookID, "notices": tn.noticeID, "identities": tn.identityID,
		"canned-replies": tn.cannedID, "contacts": tn.contact.ID}[kind]
	attachment := tn.cannedAttID
	if kind == "tickets" {
		attachment = 0
	}
	return strings.NewReplacer("{id}", strconv.FormatInt(id, 10), "{agent_id}", strconv.FormatInt(tn.agent.ID, 10),
		"{canned_id}", strconv.FormatInt(tn.cannedID, 10), "{message_id}", strconv.FormatInt(tn.mine.ID, 10), /* any id: refusals only */
		"{attachment_id}", strconv.FormatInt(attachment, 10)).Replace(path)
}

// validBodies are well-formed bodies, so a refusal is about who asks.
func validBodies(e *env, tn *tenant) map[string]any {
	return map[string]any{
		"POST /api/v1/tokens":                   map[string]any{"name": "x"},
		"POST /api/v1/agents":                   map[string]any{"email": "new@x.test", "name": "New", "role": "agent"},
		"PATCH /api/v1/agents/{id}":             map[string]any{"name": "Renamed"},
		"POST /api/v1/teams":                    map[string]any{"name": "T"},
		"POST /api/v1/channels":                 map[string]any{"slug": "c2", "name": "C2", "primary_email": "c2@x.test"},
		"PATCH /api/v1/channels/{id}":           map[string]any{"name": "C"},
		"PUT /api/v1/channels/{id}/rule":        map[string]any{"default_team_id": tn.team.ID},
		"PUT /api/v1/channels/{id}/credentials": map[string]any{"imap_password": "app password"},
		"POST /api/v1/channels/test-connection": map[string]any{"channel_id": tn.ch.ID, "imap_password": "x"},
		"POST /api/v1/tickets/{id}/notes":       map[string]any{"text": "n"},
		"POST /api/v1/tickets/{id}/replies":     map[string]any{"text": "r"},
		"POST /api/v1/tickets/{id}/forwards":    map[string]any{"text": "f", "to": []map[string]string{{"address": "x@y.test"}}},
		"POST /api/v1/tickets/{id}/assign":      map[string]any{"team_id": 0},
		"POST /api/v1/tickets/{id}/status":      map[string]any{"status": "pending"},
		"POST /api/v1/tickets/{id}/merge":       map[string]any{"target_id": tn.other.ID},
		"POST /api/v1/webhooks":                 map[string]any{"url": "https://example.com/h", "events": []string{"ticket.created"}},
		"POST /api/v1/identities":               map[string]any{"kind": "domain", "value": "novo.test"},
		"POST /api/v1/identities/{id}/confirm":  map[string]any{"code": "12345678"},
		"POST /api/v1/auth/logout":              nil,
		"PUT /api/v1/tickets/{id}/draft":        map[string]any{"text": "rascunho"},
		"PUT /api/v1/tickets/{id}/snooze":       map[string]any{"until": e.now.Add(24 * time.Hour).Format(time.RFC3339)},
		"POST /api/v1/tickets/bulk":             map[string]any{"ids": []int64{tn.mine.ID}, "action": "status", "status": "pending"},
		"POST /api/v1/canned-replies":           map[string]any{"title": "T", "body": "B"},
		"PATCH /api/v1/canned-replies/{id}":     map[string]any{"title": "T2"},
		"PATCH /api/v1/contacts/{id}":           map[string]any{"name": "N"},
	}
}

// TestEveryRouteRefusesStrangers walks the route table: every non-public
// route answers 401 without credentials and with a revoked token, every
// admin route 403 to an agent, and every route with an id 404 for another
// company's id.
func TestEveryRouteRefusesStrangers(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		revoked, tok, err := e.auth.CreateAPIToken(ctx, principalOf(e.a.admin), "old")
		must(t, err)
		must(t, e.auth.RevokeAPIToken(ctx, e.a.co.ID, tok.ID))
		bodies := validBodies(e, e.a)
		for _, rt := range api.RouteTable() {
			if rt.Public {
				continue
			}
			key := rt.Method + " " + rt.Path
			t.Run(key, func(t *testing.T) {
				path := concrete(rt.Path, e.a)
				if r := e.do(t, rt.Method, path, bodies[key]); r.status != 401 || r.problem(t).Code != "unauthenticated" {
					t.Fatalf("no credentials: %d %s", r.status, r.body)
				}
				if r := e.do(t, rt.Method, path, bodies[key], bearer(revoked)); r.status != 401 {
					t.Fatalf("revoked token: %d %s", r.status, r.body)
				}
				if r := e.do(t, rt.Method, path, bodies[key], bearer("atd_forged")); r.status != 401 {
					t.Fatalf("forged token: %d %s", r.status, r.body)
				}
				if rt.AdminOnly {
					if r := e.do(t, rt.Method, path, bodies[key], bearer(e.a.agentTok)); r.status != 403 || r.problem(t).Code != "forbidden" {
						t.Fatalf("agent on admin route: %d %s", r.status, r.body)
					}
				}
				if strings.Contains(rt.Path, "{id}") {
					foreign := concrete(rt.Path, e.b)
					if r := e.do(t, rt.Method, foreign, bodies[key], bearer(e.a.adminTok)); r.status != 404 || r.problem(t).Code != "not_found" {
						t.Fatalf("other company's id: %d %s", r.status, r.body)
					}
				}
			})
		}
	})
}

// TestOpenAPICoversRoutes checks the OpenAPI document lists exactly the
// routes of the table, and that the served copy is the file.
func TestOpenAPICoversRoutes(t *testing.T) {
	data, err := os.ReadFile("openapi.json")
	must(t, err)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	must(t, json.Unmarshal(data, &doc))
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi = %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			var o struct {
				Summary   string                     `json:"summary"`
				Responses map[string]json.RawMessage `json:"responses"`
			}
			must(t, json.Unmarshal(op, &o))
			if o.Summary == "" || len(o.Responses) == 0 {
				t.Errorf("%s %s: no summary or responses", method, path)
			}
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	routed := map[string]bool{}
	for _, rt := range api.RouteTable() {
		routed[rt.Method+" "+rt.Path] = true
	}
	var missing, extra []string
	for k := range routed {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !routed[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("routes missing from openapi.json: %v\ndocumented but not routed: %v", missing, extra)
	}
	e := newEnv(t, "sqlite")
	if r := e.do(t, "GET", "/api/v1/openapi.json", nil); r.status != 200 || string(r.body) != string(data) {
		t.Fatalf("served document differs: %d", r.status)
	}
}
