package ticket_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

func draftNames(t *testing.T, fs []store.DraftFile) []string {
	t.Helper()
	var out []string
	for _, f := range fs {
		out = append(out, f.Filename)
	}
	return out
}

// The files of a reply are never lost on the way (a defect of issue 16's
// composer: after "Desfazer" the text came back without its files and a
// pasted image went out as "[imagem: …]"). Files kept with the draft are
// the agent's own; a reply sends the ticked ones and clears them; "Desfazer"
// puts the reply's files back with its text, and sending again delivers
// them, the pasted image still inline.
func TestDraftFilesThroughUndo(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		rl, drain := relayOutbox(t, e)
		agent := ticket.Actor{CompanyID: e.co.ID, AgentID: e.agent.ID, TeamIDs: []int64{e.team.ID}}
		admin := ticket.Actor{CompanyID: e.co.ID, AgentID: 999, Admin: true}
		tk := e.ticket(t, "Troca", e.team.ID)
		png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte("print"), 100)...)
		pdf := []byte("%PDF-1.4 contrato assinado")

		// The composer uploads a pasted image at once.
		kept, err := e.svc.KeepDraftFiles(ctx, agent, tk.ID, []ticket.Attachment{{Filename: "print.png", ContentType: "image/png", Data: png}})
		must(t, err)
		if len(kept) != 1 || kept[0].ID == 0 || kept[0].Size != int64(len(png)) {
			t.Fatalf("kept %+v", kept)
		}
		// Another agent (even an admin) sees none of them, nor removes them.
		if fs, err := e.svc.DraftFiles(ctx, admin, tk.ID); err != nil || len(fs) != 0 {
			t.Fatalf("admin sees %v %v", draftNames(t, fs), err)
		}
		if err := e.svc.RemoveDraftFile(ctx, admin, tk.ID, kept[0].ID); !errors.Is(err, ticket.ErrNotFound) {
			t.Fatalf("admin removed the agent's file: %v", err)
		}
		// Limits: 25 MB together.
		_, err = e.svc.KeepDraftFiles(ctx, agent, tk.ID, []ticket.Attachment{{Filename: "big.bin", Data: make([]byte, ticket.MaxAttachmentBytes)}})
		var ve directory.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("over 25 MB with the kept file: %v", err)
		}

		// Send: the kept image (shown in the text) and a file chosen now.
		text := "Segue o contrato.\n\n![print.png](attachment:print.png)"
		m, err := e.svc.Reply(ctx, agent, tk.ID, ticket.ReplyInput{Text: text, Hold: true,
			Attachments: []ticket.Attachment{{Filename: "contrato.pdf", ContentType: "application/pdf", Data: pdf}},
			DraftFiles:  []int64{kept[0].ID}})
		must(t, err)
		if fs, _ := e.svc.DraftFiles(ctx, agent, tk.ID); len(fs) != 0 {
			t.Fatalf("draft files left after the reply: %v", draftNames(t, fs))
		}
		atts, err := e.st.ListAttachments(ctx, e.co.ID, m.ID)
		must(t, err)
		if len(atts) != 2 || atts[0].Filename != "print.png" || !atts[0].Inline || atts[1].Filename != "contrato.pdf" {
			t.Fatalf("reply's attachments %+v", atts)
		}

		// "Desfazer": text and both files come back.
		e.clk.Advance(3 * time.Second)
		if _, err := e.svc.UndoReply(ctx, agent, tk.ID, m.ID); err != nil {
			t.Fatalf("undo: %v", err)
		}
		if d, _ := e.svc.Draft(ctx, agent, tk.ID); d != text {
			t.Fatalf("draft after undo %q", d)
		}
		fs, err := e.svc.DraftFiles(ctx, agent, tk.ID)
		must(t, err)
		if got := draftNames(t, fs); !slices.Equal(got, []string{"print.png", "contrato.pdf"}) {
			t.Fatalf("draft files after undo: %v", got)
		}
		if fs[0].BlobKey != atts[0].BlobKey || fs[1].Size != int64(len(pdf)) || fs[1].ContentType != "application/pdf" {
			t.Fatalf("draft files after undo: %+v", fs)
		}

		// Send again, the PDF unticked: the image goes, inline.
		m2, err := e.svc.Reply(ctx, agent, tk.ID, ticket.ReplyInput{Text: text, Hold: true, DraftFiles: []int64{fs[0].ID}})
		must(t, err)
		e.clk.Advance(time.Minute)
		drain()
		if rl.Count() != 1 || rl.Delivered(m2.MessageID) != 1 {
			t.Fatalf("deliveries = %d", rl.Count())
		}
		raw := string(rl.Messages()[0])
		// The HTML (quoted-printable) shows the image from its inline part (the plain-text
		// alternative names it "[imagem: print.png]", as it should).
		if !strings.Contains(raw, "Content-Disposition: inline; filename=print.png") || !strings.Contains(raw, `src=3D"cid:img1.`) {
			t.Fatalf("the image is not an inline part shown in the HTML:\n%s", raw)
		}
		if strings.Contains(raw, "name=contrato.pdf") {
			t.Fatalf("the unticked file was sent:\n%s", raw)
		}
		if fs, _ := e.svc.DraftFiles(ctx, agent, tk.ID); len(fs) != 0 {
			t.Fatalf("draft files left after sending: %v", draftNames(t, fs))
		}
	})
}
