package ui_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium (scripts/install-test-deps.sh --browser).
const chromiumPath = "/usr/bin/chromium"

// browser starts a fresh headless Chromium (own user-data-dir) for one
// test and returns its tab context. Without chromium the test is skipped,
// unless ATENDE_TEST_BROWSER=1 demands it.
func browser(t *testing.T, acceptLanguage string) context.Context {
	t.Helper()
	// A whole test's budget: generous, as the suite may share a loaded
	// machine with other test runs (a long test took 41 s at load 30).
	return browserFor(t, acceptLanguage, 120*time.Second)
}

// browserFor is browser with a longer budget, for tests with several
// browsers or many steps on a loaded machine.
func browserFor(t *testing.T, acceptLanguage string, budget time.Duration) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("ATENDE_TEST_BROWSER") == "1" {
			t.Fatalf("ATENDE_TEST_BROWSER=1 but %s is missing: run scripts/install-test-deps.sh --browser", chromiumPath)
		}
		t.Skipf("browser test skipped: %s not found (install it with scripts/install-test-deps.sh --browser, or set ATENDE_TEST_BROWSER=1 to make this a failure)", chromiumPath)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancelTab := chromedp.NewContext(alloc)
	ctx, cancelTime := context.WithTimeout(ctx, budget)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
		Headers: network.Headers{"Accept-Language": acceptLanguage}}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// requests records every URL the tab asks for.
type requests struct {
	mu   sync.Mutex
	urls []string
}

func record(t *testing.T, ctx context.Context) *requests {
	t.Helper()
	r := &requests{}
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			r.mu.Lock()
			r.urls = append(r.urls, e.Request.URL)
			r.mu.Unlock()
		}
	})
	must(t, err)
	return r
}

// external lists recorded requests to anything but loopback.
func (r *requests) external() (bad []string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.urls {
		u, err := url.Parse(s)
		if err != nil {
			bad = append(bad, s)
			continue
		}
		if u.Scheme == "data" || u.Scheme == "about" || u.Scheme == "blob" {
			continue
		}
		ip := net.ParseIP(u.Hostname())
		if ip == nil || !ip.IsLoopback() {
			bad = append(bad, s)
		}
	}
	return bad, len(r.urls)
}

func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return eval[string](t, ctx, fmt.Sprintf(`document.querySelector(%q).textContent.trim()`, sel))
}

var (
	artifactsOnce sync.Once
	artifactsDir  string
)

// screenshot saves a full-page PNG to $ATENDE_ARTIFACTS (default
// artifacts/ui at the repository root, ignored by git and overwritten by
// each run) and logs its path.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if err := tryScreenshot(t, ctx, name); err != nil {
		t.Fatal(err)
	}
}

// tryScreenshot is screenshot that returns its error (for a test already
// failing).
func tryScreenshot(t *testing.T, ctx context.Context, name string) error {
	t.Helper()
	artifactsOnce.Do(func() {
		artifactsDir = os.Getenv("ATENDE_ARTIFACTS")
		if artifactsDir == "" {
			artifactsDir = filepath.Join("..", "..", "..", "artifacts", "ui") // from internal/web/ui
		}
		os.MkdirAll(artifactsDir, 0o755)
	})
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("screenshot %s: %w", name, err)
	}
	path := filepath.Join(artifactsDir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return err
	}
	t.Logf("screenshot: %s", path)
	return nil
}

// TestBrowserSetupLoginLiveInbox: a new admin completes the first-run
// setup, logs in, sees the empty inbox, and a message ingested afterwards
// shows up in the inbox without a reload within 2 s; in pt-BR and in
// English (Accept-Language: en).
func TestBrowserSetupLoginLiveInbox(t *testing.T) {
	cases := []struct {
		name, accept                                           string
		setupTitle, loginTitle, inboxTitle, empty, reply, note string
	}{
		{"pt-BR", "pt-BR,pt;q=0.9", "Configuração inicial", "Entrar", "Atendimentos", "Nenhum atendimento por aqui.", "Responder", "Adicionar comentário"},
		{"en", "en-US,en;q=0.9", "First-run setup", "Log in", "Tickets", "No tickets here.", "Reply", "Add note"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := browser(t, tc.accept)
			reqs := record(t, ctx)

			run(t, ctx, "open setup", chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("setup-submit")))
			if got := text(t, ctx, "h1"); got != tc.setupTitle {
				t.Fatalf("setup title %q, want %q", got, tc.setupTitle)
			}
			run(t, ctx, "fill setup",
				chromedp.SendKeys(chromedp.ID("company_name"), "ACME Ltda"),
				chromedp.SendKeys(chromedp.ID("company_slug"), "acme"),
				chromedp.SendKeys(chromedp.ID("admin_name"), "Ana Souza"),
				chromedp.SendKeys(chromedp.ID("admin_email"), "ana@acme.test"),
				chromedp.SendKeys(chromedp.ID("admin_password"), "senha-muito-segura"),
				chromedp.Click(chromedp.ID("setup-submit")),
				chromedp.WaitVisible(chromedp.ID("login-submit")))
			if got := text(t, ctx, "h1"); got != tc.loginTitle {
				t.Fatalf("login title %q, want %q", got, tc.loginTitle)
			}
			run(t, ctx, "log in",
				chromedp.SendKeys(chromedp.ID("password"), "senha-muito-segura"),
				chromedp.Click(chromedp.ID("login-submit")),
				chromedp.WaitVisible(chromedp.ID("inbox-empty")))
			if got := text(t, ctx, "#inbox-empty"); got != tc.empty {
				t.Fatalf("empty inbox says %q, want %q", got, tc.empty)
			}
			// The next step (issue 15 item 14): no channel yet, so the
			// admin is offered to add one.
			if got := text(t, ctx, "#inbox-add-channel"); got != map[string]string{"pt-BR": "Adicionar canal", "en": "Add a channel"}[tc.name] {
				t.Fatalf("empty inbox next step %q", got)
			}
			screenshot(t, ctx, "inbox-empty-next-"+tc.name)
			if got := text(t, ctx, "h1"); !strings.HasPrefix(got, tc.inboxTitle) {
				t.Fatalf("inbox title %q, want %q", got, tc.inboxTitle)
			}
			// The event stream is connected before the mail arrives.
			_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.body.dataset.live === "on"`, chromedp.WithPollingTimeout(5*time.Second)))
			must(t, err)
			eval[bool](t, ctx, `window.__sameDocument = true`)

			co, err := e.st.GetCompanyBySlug(ctx, "acme")
			must(t, err)
			ch := e.channel(t, co.ID, "suporte@acme.test")
			start := time.Now()
			e.deliver(t, ch, plainMail("Carla Cliente <carla@example.com>", "Segunda via do boleto", "live-1@example.com", "Preciso da segunda via."))
			waitCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err = chromedp.Do(waitCtx, chromedp.WaitVisible(chromedp.CSS(".ticket-row")))
			cancel()
			if err != nil {
				t.Fatalf("new ticket not in the inbox 2 s after delivery: %v", err)
			}
			t.Logf("ticket appeared %v after delivery", time.Since(start).Round(time.Millisecond))
			if !eval[bool](t, ctx, `window.__sameDocument === true`) {
				t.Fatal("the inbox reloaded instead of updating in place")
			}
			if got := text(t, ctx, ".ticket-row .subject"); got != "Segunda via do boleto" {
				t.Fatalf("row subject %q", got)
			}
			if !eval[bool](t, ctx, `document.querySelector(".ticket-row").classList.contains("unread")`) {
				t.Fatal("new ticket not marked unread")
			}
			screenshot(t, ctx, "inbox-"+tc.name)

			run(t, ctx, "open ticket", chromedp.Click(chromedp.CSS(".ticket-row a")), chromedp.WaitVisible(chromedp.ID("send-reply")))
			if got := text(t, ctx, "#reply-h"); got != tc.reply {
				t.Fatalf("composer heading %q, want %q", got, tc.reply)
			}
			if got := text(t, ctx, "#note-h"); got != tc.note {
				t.Fatalf("note heading %q, want %q", got, tc.note)
			}
			run(t, ctx, "add note",
				chromedp.SendKeys(chromedp.ID("note"), "Cliente pediu a segunda via."),
				chromedp.Click(chromedp.ID("add-note")),
				chromedp.WaitVisible(chromedp.CSS(".msg-note")))
			if got := text(t, ctx, ".msg-note .text"); got != "Cliente pediu a segunda via." {
				t.Fatalf("note shows %q", got)
			}
			screenshot(t, ctx, "ticket-"+tc.name)

			// A follow-up from the contact is announced on the open ticket.
			_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.body.dataset.live === "on"`, chromedp.WithPollingTimeout(5*time.Second)))
			must(t, err)
			follow := plainMail("Carla Cliente <carla@example.com>", "Re: Segunda via do boleto", "live-2@example.com", "Alguma novidade?")
			follow = []byte(strings.Replace(string(follow), "MIME-Version", "In-Reply-To: <live-1@example.com>\r\nMIME-Version", 1))
			e.deliver(t, ch, follow)
			waitCtx, cancel = context.WithTimeout(ctx, 2*time.Second)
			err = chromedp.Do(waitCtx, chromedp.WaitVisible(chromedp.ID("ticket-live")))
			cancel()
			if err != nil {
				t.Fatalf("new activity not announced on the ticket view: %v", err)
			}

			// The follow-up arrived after the agent saw the ticket: unread
			// again until they open it once more.
			unread := `document.querySelector(".ticket-row").classList.contains("unread")`
			run(t, ctx, "back to inbox", chromedp.Navigate(e.srv.URL+"/inbox"), chromedp.WaitVisible(chromedp.CSS(".ticket-row")))
			if !eval[bool](t, ctx, unread) {
				t.Fatal("ticket with a new message not marked unread")
			}
			run(t, ctx, "reopen ticket", chromedp.Click(chromedp.CSS(".ticket-row a")), chromedp.WaitVisible(chromedp.ID("send-reply")),
				chromedp.Navigate(e.srv.URL+"/inbox"), chromedp.WaitVisible(chromedp.CSS(".ticket-row")))
			if eval[bool](t, ctx, unread) {
				t.Fatal("opened ticket still marked unread")
			}
			if bad, n := reqs.external(); len(bad) > 0 || n == 0 {
				t.Fatalf("requests outside loopback: %v (of %d)", bad, n)
			}
		})
	}
}

// hostileHTML tries every way to run script or reach the network.
const hostileHTML = `<html><head>
<meta http-equiv="refresh" content="0;url=http://evil.example.com/refresh">
<link rel="stylesheet" href="http://evil.example.com/link.css">
<style>@import url("http://evil.example.com/import.css"); body { background: url(http://evil.example.com/bg.png) }</style>
<script>document.title = "PWNED"; window.pwned = 1; parent.pwned = 1;</script>
</head>
<body onload="document.title='PWNED'; parent.pwned = 2">
<p id="hello">Olá, segue a fatura.</p>
<img src="http://evil.example.com/track.gif" alt="tracker">
<img src="x" onerror="parent.document.title='PWNED'; parent.pwned = 3">
<a href="javascript:parent.pwned = 5">clique aqui</a>
<svg xmlns="http://www.w3.org/2000/svg" onload="parent.pwned = 6"><script>parent.pwned = 7</script><image href="http://evil.example.com/svg.png"/></svg>
<iframe src="http://evil.example.com/frame"></iframe>
<object data="http://evil.example.com/object.swf"></object>
<form action="http://evil.example.com/steal"><input name="x" autofocus onfocus="parent.pwned = 8"></form>
<div style="background-image: url(http://evil.example.com/div.png)">fundo</div>
<video src="http://evil.example.com/v.mp4" poster="http://evil.example.com/poster.png"></video>
</body></html>`

func hostileMail() []byte {
	return []byte("From: Golpista <golpe@example.com>\r\nTo: suporte@acme.test\r\n" +
		"Subject: Fatura <script>window.pwned=9</script><img src=x onerror=window.pwned=10>\r\n" +
		"Message-ID: <hostile-1@example.com>\r\nAuthentication-Results: " + authServID + "; dmarc=fail header.from=example.com\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + hostileHTML + "\r\n")
}

// TestBrowserHostileHTML: a hostile HTML mail displays inertly in the
// ticket view: no script runs (top page or frame) and no request leaves
// loopback.
func TestBrowserHostileHTML(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "")
	e.deliver(t, co.ch, hostileMail())
	ctx := browser(t, "pt-BR")
	reqs := record(t, ctx)

	run(t, ctx, "log in", chromedp.Navigate(e.srv.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("company"), "acme"),
		chromedp.SendKeys(chromedp.ID("email"), co.admin.Email),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS(".ticket-row")))
	title := eval[string](t, ctx, `document.title`)
	run(t, ctx, "open ticket", chromedp.Click(chromedp.CSS(".ticket-row a")), chromedp.WaitVisible(chromedp.CSS("iframe.msg-frame")))
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`(function(){ var f = document.querySelector("iframe.msg-frame");
		return !!(f && f.contentDocument && f.contentDocument.getElementById && f.contentDocument.body && f.contentDocument.body.textContent.indexOf("segue a fatura") >= 0); })()`,
		chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil {
		dbg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(function(){ var f = document.querySelector("iframe.msg-frame"); return f.src + " | " + (f.contentDocument ? f.contentDocument.documentElement.outerHTML : "no doc"); })()`))
		t.Fatalf("message frame never showed the mail: %v\n%s", err, dbg)
	}
	// Give anything that would fire (timers, refresh, image errors) a moment.
	run(t, ctx, "settle", chromedp.Sleep(300*time.Millisecond))

	type verdict struct {
		TopTitle, FrameTitle            string
		TopPwned, FramePwned            bool
		Dangerous                       []string
		Sandbox, FrameURL               string
		DMARC, ImagesButton, SubjectRaw bool
	}
	v := eval[verdict](t, ctx, `(function(){
		var f = document.querySelector("iframe.msg-frame"), d = f.contentDocument;
		return {
			TopTitle: document.title, FrameTitle: d.title,
			TopPwned: typeof window.pwned !== "undefined", FramePwned: typeof f.contentWindow.pwned !== "undefined",
			Dangerous: Array.prototype.map.call(d.querySelectorAll("script, meta[http-equiv], link, iframe, object, embed, form, video, svg, [onload], [onerror], [onfocus], [style*='url'], a[href^='javascript']"), function (n) { return n.outerHTML; }),
			Sandbox: f.getAttribute("sandbox"), FrameURL: f.contentWindow.location.pathname,
			DMARC: !!document.querySelector(".dmarc"), ImagesButton: !!document.querySelector("a.show-images"),
			SubjectRaw: document.querySelectorAll("h1 script, h1 img").length > 0
		};
	})()`)
	if v.TopPwned || v.FramePwned || strings.Contains(v.TopTitle, "PWNED") || strings.Contains(v.FrameTitle, "PWNED") {
		t.Fatalf("hostile script ran: %+v", v)
	}
	if !strings.HasSuffix(v.TopTitle, "· Atende") || title == v.TopTitle {
		t.Fatalf("ticket page title %q", v.TopTitle)
	}
	if len(v.Dangerous) != 0 || v.SubjectRaw {
		t.Fatalf("dangerous markup reached the page: %+v", v)
	}
	if strings.Contains(v.Sandbox, "allow-scripts") || !strings.HasSuffix(v.FrameURL, "/body") {
		t.Fatalf("frame sandbox %q url %q", v.Sandbox, v.FrameURL)
	}
	if !v.DMARC || !v.ImagesButton {
		t.Fatalf("DMARC warning or show-images button missing: %+v", v)
	}
	if got := text(t, ctx, ".dmarc"); !strings.Contains(got, "DMARC") {
		t.Fatalf("DMARC warning %q", got)
	}
	screenshot(t, ctx, "ticket-hostile")

	// Responsive: on a phone-sized viewport nothing overflows sideways.
	_, err = chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 390, Height: 844, DeviceScaleFactor: 1, Mobile: true})
	must(t, err)
	run(t, ctx, "settle mobile", chromedp.Sleep(100*time.Millisecond))
	if w := eval[float64](t, ctx, `document.documentElement.scrollWidth`); w > 390 {
		screenshot(t, ctx, "ticket-mobile")
		t.Fatalf("ticket view is %v px wide on a 390 px screen", w)
	}
	screenshot(t, ctx, "ticket-mobile")
	_, err = chromedp.Call(ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
	must(t, err)
	bad, n := reqs.external()
	if len(bad) > 0 {
		t.Fatalf("requests left loopback: %v", bad)
	}
	t.Logf("%d requests, all to loopback", n)

	// Positive control: the recorder does see the frame's requests. Only
	// after the agent asks for them, remote images are requested.
	run(t, ctx, "show images", chromedp.Click(chromedp.CSS("a.show-images")))
	deadline := time.Now().Add(3 * time.Second)
	for {
		bad, _ := reqs.external()
		if len(bad) > 0 {
			if !slices.Contains(bad, "http://evil.example.com/track.gif") {
				t.Fatalf("after show images: %v", bad)
			}
			break
		}
		if time.Now().After(deadline) {
			dbg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(function(){ var f = document.querySelector("iframe.msg-frame"); return f.src + " | " + f.contentDocument.body.innerHTML; })()`))
			t.Fatalf("show images did not request the remote image: %s; requests: %v", dbg, reqs.urls)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitTrue evaluates js until it is true, across page loads (a navigation
// under way is retried, not an error), or fails the test after d.
func waitTrue(t *testing.T, ctx context.Context, what, js string, d time.Duration) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var ok bool
		if ok, err = chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err == nil && ok {
			return
		}
	}
	// A failed wait says what the page showed (a flake is otherwise mute).
	if where, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + " | " + document.title + " | " +
		Array.prototype.map.call(document.querySelectorAll(".flash, .err, .error"), function(e){return e.textContent.trim()}).join(" / ").slice(0, 300)`)); err == nil {
		t.Logf("%s: the page: %s", what, where)
	}
	tryScreenshot(t, ctx, "waitfail-"+strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(t.Name()+"-"+what)))
	t.Fatalf("%s: not true within %v (%v)", what, d, err)
}
