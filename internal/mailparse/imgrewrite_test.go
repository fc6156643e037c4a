package mailparse

import "testing"

// TestSanitizeRewritesOnlyImages: after sanitizing, img tags (and nothing
// else) are rewritten: remote sources wait for the reader's click, cid:
// sources point to the attachment, attribute values stay escaped, and text
// that merely looks like a tag, other tags and a tag named like img are
// copied as the sanitizer wrote them.
func TestSanitizeRewritesOnlyImages(t *testing.T) {
	url := func(cid string) string {
		if cid == "sem-anexo" {
			return ""
		}
		return "/a/" + cid
	}
	for _, c := range []struct{ in, want string }{
		{`<p>Oi<img src="https://cdn.loja.test/x.png?a=1&amp;b=2" alt='logo da loja'></p>`,
			`<p>Oi<img src="" alt="logo da loja" data-remote-src="https://cdn.loja.test/x.png?a=1&amp;b=2"/></p>`},
		{`<IMG SRC="cid:logo%40loja" width=10>`, `<img src="/a/logo@loja" width="10"/>`},
		{`<img src="cid:&lt;sem-anexo&gt;"/>`, `<img src="" data-cid="sem-anexo"/>`},
		{`<p>&lt;img src="http://x.test/a.png"&gt; é texto</p><br>`, `<p>&lt;img src=&#34;http://x.test/a.png&#34;&gt; é texto</p><br>`},
		{`<table><tr><td>a<img src="data:image/png;base64,AAAA"></td></tr></table>`, `<table><tr><td>a<img src="data:image/png;base64,AAAA"/></td></tr></table>`},
		{`<div><img alt="sem fonte">fim</div>`, `<div><img alt="sem fonte"/>fim</div>`},
	} {
		got := sanitizeHTML(c.in, url, nil)
		if got != c.want {
			t.Errorf("sanitizeHTML(%s)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}
