package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Files of an API reply: uploaded into the caller's draft, sent by id
// ("draft_files") with a canned reply's files ("canned_id"); a cancelled
// reply gives its files back in the draft (listed in the cancel answer),
// and sending them again delivers them through a real SMTP relay. Another
// company sees none of them.
func TestAPIReplyFiles(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		rl, drain := relayOutbox(t, e)
		a := e.a
		ag := bearer(a.agentTok)
		tk := fmt.Sprintf("/api/v1/tickets/%d", a.mine.ID)
		type file struct {
			ID          int64
			Filename    string
			ContentType string `json:"content_type"`
			Size        int64
		}
		var dv struct {
			Text  string
			Files []file
		}
		up, ct := multipartFiles(t, map[string]string{"boleto.pdf": "boleto 123", "rascunho.txt": "não enviar"})
		r := e.do(t, "POST", tk+"/draft/files", up, ag, multipartType(ct))
		wantStatus(t, r, 201)
		r.json(t, &dv)
		if len(dv.Files) != 2 || dv.Files[0].Filename != "boleto.pdf" || dv.Files[0].Size != 10 || dv.Files[0].ContentType != "application/pdf" {
			t.Fatalf("draft after upload %s", r.body)
		}
		boleto := dv.Files[0].ID
		// The type comes from the name when the client sends none
		// (application/octet-stream). Another company: not found; an
		// empty upload: 422.
		wantProblem(t, e.do(t, "GET", fmt.Sprintf("%s/draft/files/%d", tk, boleto), nil, bearer(e.b.adminTok)), 404, "not_found", "")
		wantProblem(t, e.do(t, "DELETE", fmt.Sprintf("%s/draft/files/%d", tk, boleto), nil, bearer(e.b.adminTok)), 404, "not_found", "")
		empty, ect := multipartFiles(t, nil)
		wantProblem(t, e.do(t, "POST", tk+"/draft/files", empty, ag, multipartType(ect)), 422, "validation_failed", "file")
		if got := e.do(t, "GET", fmt.Sprintf("%s/draft/files/%d", tk, boleto), nil, ag); got.status != 200 || string(got.body) != "boleto 123" {
			t.Fatalf("download %d %q", got.status, got.body)
		}
		wantProblem(t, e.do(t, "POST", tk+"/replies", map[string]any{"text": "x", "canned_id": 999999}, ag), 422, "validation_failed", "canned_id")

		// Held reply with one draft file and the canned reply's file.
		var m struct{ ID int64 }
		r = e.do(t, "POST", tk+"/replies", map[string]any{"text": "Segue o boleto.", "undo": true, "draft_files": []int64{boleto}, "canned_id": a.cannedID}, ag)
		wantStatus(t, r, 202)
		r.json(t, &m)
		atts, err := e.st.ListAttachments(ctx, a.co.ID, m.ID)
		must(t, err)
		if len(atts) != 2 || atts[0].Filename != "boleto.pdf" || atts[1].Filename != "guia.pdf" {
			t.Fatalf("reply's attachments %+v", atts)
		}
		e.do(t, "GET", tk+"/draft", nil, ag).json(t, &dv)
		if len(dv.Files) != 0 {
			t.Fatalf("draft files after the reply (the unsent one is dropped with it): %+v", dv.Files)
		}

		// Cancelled: both files are back in the draft.
		var c struct {
			Cancelled  bool
			Draft      string
			DraftFiles []file `json:"draft_files"`
		}
		r = e.do(t, "POST", fmt.Sprintf("%s/replies/%d/cancel", tk, m.ID), nil, ag)
		wantStatus(t, r, 200)
		r.json(t, &c)
		if !c.Cancelled || c.Draft != "Segue o boleto." || len(c.DraftFiles) != 2 || c.DraftFiles[0].Filename != "boleto.pdf" || c.DraftFiles[1].Filename != "guia.pdf" {
			t.Fatalf("cancel answer %s", r.body)
		}
		// Sent again as it came back: delivered once, with both files.
		r = e.do(t, "POST", tk+"/replies", map[string]any{"text": c.Draft, "draft_files": []int64{c.DraftFiles[0].ID, c.DraftFiles[1].ID}}, ag)
		wantStatus(t, r, 202)
		e.clk.Advance(time.Minute)
		drain()
		if rl.Count() != 1 {
			t.Fatalf("deliveries = %d", rl.Count())
		}
		raw := string(rl.Messages()[0])
		if !strings.Contains(raw, "filename=boleto.pdf") || !strings.Contains(raw, "filename=guia.pdf") || strings.Contains(raw, "rascunho.txt") {
			t.Fatalf("delivered mail's files:\n%s", raw)
		}
		// DELETE draft discards files too.
		up, ct = multipartFiles(t, map[string]string{"outro.txt": "x"})
		wantStatus(t, e.do(t, "POST", tk+"/draft/files", up, ag, multipartType(ct)), 201)
		wantStatus(t, e.do(t, "DELETE", tk+"/draft", nil, ag), 204)
		e.do(t, "GET", tk+"/draft", nil, ag).json(t, &dv)
		if len(dv.Files) != 0 || dv.Text != "" {
			t.Fatalf("draft after DELETE %+v", dv)
		}
	})
}
