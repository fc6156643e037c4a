package ui_test

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// keptFiles is the composer's list of kept files: "+name" ticked,
// "-name" not.
const keptFiles = `Array.prototype.map.call(document.querySelectorAll("#draft-files li[data-id]"), function(li){
	return (li.querySelector("input[name=draft_file]").checked ? "+" : "-") + li.querySelector(".draft-name").textContent}).join(",")`

// TestBrowserDraftFiles: files chosen in the composer are kept on the
// server at once, so a reload (or a crash of the browser) loses none; ×
// removes one; an unticked one stays behind when the reply goes, and the
// reply clears the draft's files.
func TestBrowserDraftFiles(t *testing.T) {
	e := newCustomerEnv(t)
	c := e.company(t, "acme", "pt-BR")
	e.deliver(t, c.ch, plainMail("Carla <carla@example.com>", "Nota fiscal", "nf-1@example.com", "Preciso da nota e do boleto."))
	tks, err := e.st.ListTickets(ctx, c.co.ID, store.TicketFilter{})
	must(t, err)
	tk := tks[0]
	dir := t.TempDir()
	files := map[string]string{"nota.pdf": "%PDF-1.4 nota fiscal\n", "boleto.pdf": "%PDF-1.4 boleto\n", "print.png": string(pngPixel)}
	var paths []string
	for _, name := range []string{"nota.pdf", "boleto.pdf", "print.png"} {
		p := filepath.Join(dir, name)
		must(t, os.WriteFile(p, []byte(files[name]), 0o644))
		paths = append(paths, p)
	}
	bctx := browser(t, "pt-BR,pt;q=0.9")
	tp := fmt.Sprintf("%s/tickets/%d", e.srv.URL, tk.ID)
	run(t, bctx, "log in", chromedp.Navigate(e.srv.URL+"/login"), chromedp.WaitVisible(chromedp.ID("login-submit")),
		chromedp.SendKeys(chromedp.ID("company"), "acme"),
		chromedp.SendKeys(chromedp.ID("email"), c.admin.Email),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS(".ticket-row")))
	run(t, bctx, "choose files", chromedp.Navigate(tp), chromedp.WaitVisible(chromedp.ID("send-reply")),
		chromedp.SendKeys(chromedp.ID("reply-text"), "Segue a nota."),
		chromedp.SetUploadFiles(chromedp.ID("attachments"), paths))
	_, err = chromedp.Run(bctx, chromedp.Poll[bool](keptFiles+` === "+nota.pdf,+boleto.pdf,+print.png" && document.getElementById("attachments").files.length === 0`,
		chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil {
		t.Fatalf("chosen files not kept: %q", eval[string](t, bctx, keptFiles))
	}
	// The image shows as a thumbnail, loaded from the server (it loads
	// after the list is drawn, so wait for it).
	const thumb = `(function(){var i=document.querySelector("#draft-files img.draft-thumb"); return !!i && i.complete && i.naturalWidth===1})()`
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](thumb, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatalf("no thumbnail for the kept image: %v (img: %q)", err,
			eval[string](t, bctx, `(function(){var i=document.querySelector("#draft-files img.draft-thumb"); return i ? i.src+" complete="+i.complete+" w="+i.naturalWidth : "none"})()`))
	}
	screenshot(t, bctx, "draft-files-kept")

	// A reload keeps them (and the text, once autosaved); × removes the
	// boleto (on the server too).
	for i := 0; i < 50; i++ {
		if d, err := e.st.GetDraft(ctx, c.co.ID, tk.ID, c.admin.ID); err == nil && d.Body == "Segue a nota." {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	run(t, bctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("send-reply")))
	if got := eval[string](t, bctx, keptFiles); got != "+nota.pdf,+boleto.pdf,+print.png" {
		t.Fatalf("after reload: %q", got)
	}
	run(t, bctx, "remove", chromedp.Click(chromedp.CSS(`#draft-files li:nth-child(2) button.draft-remove`)))
	_, err = chromedp.Run(bctx, chromedp.Poll[bool](keptFiles+` === "+nota.pdf,+print.png"`, chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil {
		t.Fatalf("after ×: %q", eval[string](t, bctx, keptFiles))
	}
	if fs, _ := e.st.ListDraftFiles(ctx, c.co.ID, tk.ID, c.admin.ID); len(fs) != 2 {
		t.Fatalf("kept on the server after ×: %+v", fs)
	}
	// A pasted image removed with × leaves the text too (else the reply
	// would say "[imagem: colado.png]" where it was), whatever its alt
	// text became; the draft is saved without it.
	ok := eval[bool](t, bctx, `(function(){var b=atob("`+base64.StdEncoding.EncodeToString(pngPixel)+`"), a=new Uint8Array(b.length); for(var i=0;i<b.length;i++)a[i]=b.charCodeAt(i);
		var ta=document.getElementById("reply-text"); ta.focus(); ta.setSelectionRange(ta.value.length, ta.value.length);
		var dt=new DataTransfer(); dt.items.add(new File([a],"colado.png",{type:"image/png"}));
		ta.dispatchEvent(new ClipboardEvent("paste",{clipboardData:dt,bubbles:true,cancelable:true})); return ta.value.indexOf("](attachment:colado.png)")>0})()`)
	if !ok {
		t.Fatalf("the pasted image is not in the text: %q", eval[string](t, bctx, `document.getElementById("reply-text").value`))
	}
	_, err = chromedp.Run(bctx, chromedp.Poll[bool](keptFiles+` === "+nota.pdf,+print.png,+colado.png"`, chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil {
		t.Fatalf("pasted image not kept: %q", eval[string](t, bctx, keptFiles))
	}
	run(t, bctx, "rename the pasted image's alt text", chSetField("reply-text",
		eval[string](t, bctx, `document.getElementById("reply-text").value.replace("![colado.png]", "![a tela do erro]")`)))
	run(t, bctx, "remove the pasted image", chromedp.Click(chromedp.CSS(`#draft-files li:nth-child(3) button.draft-remove`)))
	_, err = chromedp.Run(bctx, chromedp.Poll[bool](keptFiles+` === "+nota.pdf,+print.png" && document.getElementById("reply-text").value === "Segue a nota."`,
		chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil {
		t.Fatalf("after × of the pasted image: files %q, text %q", eval[string](t, bctx, keptFiles), eval[string](t, bctx, `document.getElementById("reply-text").value`))
	}
	for i := 0; ; i++ {
		d, err := e.st.GetDraft(ctx, c.co.ID, tk.ID, c.admin.ID)
		if err == nil && d.Body == "Segue a nota." {
			break
		}
		if i == 50 {
			t.Fatalf("the draft still has the removed image: %+v %v", d, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The image unticked: the reply carries the PDF only.
	run(t, bctx, "untick and send", chromedp.Click(chromedp.CSS(`#draft-files li:nth-child(2) input[name=draft_file]`)),
		chromedp.Click(chromedp.ID("send-reply")), chromedp.WaitVisible(chromedp.CSS("form.undo-held")))
	if got := eval[string](t, bctx, keptFiles); got != "" {
		t.Fatalf("files listed after sending: %q", got)
	}
	d, err := e.tickets.Get(ctx, ticket.Actor{CompanyID: c.co.ID, AgentID: c.admin.ID, Admin: true}, tk.ID)
	must(t, err)
	out := d.Messages[len(d.Messages)-1]
	if out.Direction != model.DirOut || len(out.Attachments) != 1 || out.Attachments[0].Filename != "nota.pdf" || out.Attachments[0].Size != int64(len(files["nota.pdf"])) {
		t.Fatalf("reply %+v", out)
	}
	if fs, _ := e.st.ListDraftFiles(ctx, c.co.ID, tk.ID, c.admin.ID); len(fs) != 0 {
		t.Fatalf("kept after sending: %+v", fs)
	}
}
