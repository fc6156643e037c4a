package mailparse

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

func parseCorpus(t *testing.T, name string) (*Message, *memSink) {
	t.Helper()
	s := newMemSink()
	m, err := ParseFile(filepath.Join("testdata", "corpus", name+".eml"), testOptions(s))
	if err != nil {
		t.Fatalf("ParseFile %s: %v", name, err)
	}
	return m, s
}

func hasWarning(m *Message, sub string) bool {
	for _, w := range m.Warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

func TestCharsets(t *testing.T) {
	tests := []struct {
		file, subject, text, warning string
	}{
		{"charset_iso8859_1", "Solicitação de cópia do contrato", "Olá, poderiam enviar a cópia do contrato nº 2291? Ação urgente", ""},
		{"charset_iso8859_15", "Facture œuvre d'art - 250 €", "l'œuvre indique 250 € au lieu de 205 €", ""},
		{"charset_windows1252", "“Quoted” title – € pricing", "The “Pro” plan costs €20 – that’s what your page says…", ""},
		{"charset_iso2022jp", "注文について", "注文番号 7788 の配送状況を教えてください。", ""},
		{"charset_shift_jis", "請求書の再発行", "請求書を再発行してください。", ""},
		{"charset_koi8r", "Вопрос по заказу", "Когда будет доставлен заказ 5521?", ""},
		{"charset_windows1251", "Счёт на оплату", "счёт ещё раз", ""},
		{"charset_gb2312", "订单查询", "请问什么时候发货？", ""},
		{"charset_gbk", "发票", "示例科技有限公司", ""},
		{"charset_big5", "退貨申請", "商品有瑕疵", ""},
		{"charset_euc_kr", "배송 문의", "배송은 언제 되나요?", ""},
		{"charset_utf8_base64", "Überweisung 😀 ✓", "Emoji 😀, Ümlaut, Ø, ß, 中文, русский", ""},
		{"charset_mislabel_usascii_latin1", "Troca de endereco", "Meu novo endereço é Rua São João", "us-ascii is not valid UTF-8"},
		{"charset_mislabel_utf8_latin1", "Confirmação", "Confirmação recebida. Até logo", "utf-8 is not valid UTF-8"},
		{"charset_mislabel_latin1_utf8", "Pedido atrasado", "está atrasado há três semanas", "is really UTF-8"},
		{"charset_unknown_8bit", "Teste", "Atenção: cobrança duplicada.", "unknown charset"},
		{"charset_html_meta_only", "Tabela de preços", "Preços atualizados em anexo na próxima mensagem.", ""},
		{"bol_webmail_8bit_headers", "Reclamação: produto não funciona", "O liquidificador não liga.", "raw 8-bit bytes"},
		{"header_8bit_raw_utf8", "Devolução — pedido 8812", "Cabeçalhos em UTF-8 cru", ""},
		{"ew_split_multibyte", "Confirmação de pedido à vista", "", ""},
		{"ew_malformed_spaces", "Olá mundo, preço errado", "", ""},
		{"ew_mixed_charsets", "Renovação do contrato ✓", "", ""},
		{"ew_glued_and_lowercase", "Re:Reembolso nãorecebido", "", ""},
		{"ew_unknown_charset", "abc and ok é", "", "unknown charset"},
		{"ew_bad_base64", "=?utf-8?B?@@@not*base64?= tail", "", "undecodable encoded word"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			m, _ := parseCorpus(t, tc.file)
			if m.Subject != tc.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, tc.subject)
			}
			if !strings.Contains(m.TextBody, tc.text) {
				t.Errorf("TextBody = %q, want it to contain %q", m.TextBody, tc.text)
			}
			if tc.warning == "" && len(m.Warnings) > 0 {
				t.Errorf("unexpected warnings %q", m.Warnings)
			}
			if tc.warning != "" && !hasWarning(m, tc.warning) {
				t.Errorf("warnings %q lack %q", m.Warnings, tc.warning)
			}
		})
	}
}

func TestAddressesAndIDs(t *testing.T) {
	m, _ := parseCorpus(t, "ew_mixed_charsets")
	if m.From != (Address{Name: "Luísa Araújo", Address: "luisa.araujo@exemplo.com.br"}) {
		t.Errorf("From = %+v", m.From)
	}
	if len(m.To) != 2 || m.To[0].Name != "Suporte “VIP”" || m.To[1].Address != "ana@lojaexemplo.com.br" {
		t.Errorf("To = %+v", m.To)
	}

	m, _ = parseCorpus(t, "garbage_ids")
	if m.MessageID != "12345.abc@exemplo.com.br" {
		t.Errorf("MessageID = %q", m.MessageID)
	}
	if len(m.InReplyTo) != 1 || m.InReplyTo[0] != "ticket-42.99@lojaexemplo.com.br" {
		t.Errorf("InReplyTo = %q", m.InReplyTo)
	}
	if got := strings.Join(m.References, " "); got != "third@host.example" {
		// brackets win when present: the bare ids are prose-like garbage
		t.Errorf("References = %q", got)
	}

	for _, name := range []string{"no_message_id", "empty_message_id"} {
		m, _ = parseCorpus(t, name)
		if m.MessageID != "" || len(m.InReplyTo) != 0 {
			t.Errorf("%s: MessageID %q InReplyTo %q, want empty", name, m.MessageID, m.InReplyTo)
		}
	}

	m, _ = parseCorpus(t, "gmail_reply_quoted")
	want := []string{"CAF3x9Yk+QvT8p1mN2oLz=QfE4uJ7Hh0dXk@mail.gmail.com", "ticket-4821.1717423000@lojaexemplo.com.br"}
	if strings.Join(m.References, ",") != strings.Join(want, ",") {
		t.Errorf("References = %q, want %q", m.References, want)
	}

	m, _ = parseCorpus(t, "many_recipients_group")
	if len(m.To) != 0 || len(m.Cc) != 3 || m.Cc[1].Name != "Silva, Bruno" || len(m.Bcc) != 1 || len(m.ReplyTo) != 1 {
		t.Errorf("group parsing: To %+v Cc %+v Bcc %+v ReplyTo %+v", m.To, m.Cc, m.Bcc, m.ReplyTo)
	}

	m, _ = parseCorpus(t, "mbox_from_line")
	if strings.Join(m.DeliveredTo, ",") != "suporte@lojaexemplo.com.br,atendimento@lojaexemplo.com.br" {
		t.Errorf("DeliveredTo = %q", m.DeliveredTo)
	}
	if m.Date.IsZero() || m.Date.Format("2006-01-02T15:04:05Z07:00") != "2024-07-04T10:30:00-03:00" {
		t.Errorf("Date = %v", m.Date)
	}
}

func TestKeptHeaders(t *testing.T) {
	m, _ := parseCorpus(t, "gmail_plain_ptbr")
	for _, k := range []string{"authentication-results", "arc-seal", "arc-message-signature", "arc-authentication-results", "dkim-signature", "received-spf", "return-path", "delivered-to"} {
		if len(m.Headers[k]) != 1 {
			t.Errorf("Headers[%q] = %q, want one value", k, m.Headers[k])
		}
	}
	if _, ok := m.Headers["received"]; ok {
		t.Error("Received must not be kept")
	}
	if !strings.HasPrefix(m.Headers["authentication-results"][0], "mx.lojaexemplo.com.br; dkim=pass") {
		t.Errorf("authentication-results = %q", m.Headers["authentication-results"])
	}
}

func TestFlags(t *testing.T) {
	tests := []struct {
		file       string
		auto, bulk bool
	}{
		{"autoreply_gmail_vacation_ptbr", true, true},
		{"autoreply_outlook_ooo_en", true, false},
		{"autoreply_x_autoreply", true, false},
		{"autoreply_precedence", true, false},
		{"auto_submitted_no", false, false},
		{"xars_only_not_auto", false, false},
		{"outlook_desktop_reply", false, false},
		{"mailing_list_mailman", false, true},
		{"google_groups", false, true},
		{"newsletter_bulk", false, true},
		{"multipart_digest", false, true},
		{"dsn_postfix", true, false},
		{"dsn_success", true, false},
		{"bounce_qmail_plain", true, false},
		{"gmail_plain_ptbr", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			m, _ := parseCorpus(t, tc.file)
			if m.AutoSubmitted != tc.auto || m.Bulk != tc.bulk {
				t.Errorf("AutoSubmitted=%v Bulk=%v, want %v %v", m.AutoSubmitted, m.Bulk, tc.auto, tc.bulk)
			}
		})
	}
}

func TestBounces(t *testing.T) {
	tests := []struct {
		file                    string
		recipient, status, orig string
	}{
		{"dsn_postfix", "cliente.inexistente@exemplo.com.br", "5.1.1", "atende.6001.1720184400@lojaexemplo.com.br"},
		{"dsn_exchange", "old.user@fabrikam-example.com", "5.1.10", "20240705131500.help.7001@contoso-example.com"},
		{"dsn_gmail", "naoexiste.12345@gmail.com", "5.1.1", "atende.6100.1720200000@lojaexemplo.com.br"},
		{"dsn_delayed", "lento@servidor-lento.example", "4.4.1", "atende.6200.1720270000@lojaexemplo.com.br"},
		{"bounce_qmail_plain", "antigo.cliente@hospedagem-exemplo.com.br", "5.1.1", "atende.6300.1720280000@lojaexemplo.com.br"},
		{"bounce_exim_plain", "gone@exemplo.net", "5.0.0", "20240706155900.help.8001@contoso-example.com"},
		{"bounce_ptbr_postmaster_plain", "cliente.antigo@provedor-exemplo.com.br", "5.2.1", "atende.6500.1720290000@lojaexemplo.com.br"},
		{"dsn_success", "", "", ""},
		{"postmaster_not_bounce", "", "", ""},
		{"autoreply_outlook_ooo_en", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			m, _ := parseCorpus(t, tc.file)
			if tc.recipient == "" {
				if m.Bounce != nil {
					t.Fatalf("Bounce = %+v, want nil", m.Bounce)
				}
				return
			}
			if m.Bounce == nil {
				t.Fatal("Bounce is nil")
			}
			got := *m.Bounce
			want := Bounce{Recipient: tc.recipient, Status: tc.status, OriginalMessageID: tc.orig}
			if got != want {
				t.Errorf("Bounce = %+v, want %+v", got, want)
			}
		})
	}
}

func TestAttachmentsStreamedToSink(t *testing.T) {
	m, s := parseCorpus(t, "zip_gzip_attachments")
	if len(m.Attachments) != 2 {
		t.Fatalf("attachments = %+v", m.Attachments)
	}
	zipA, gzA := m.Attachments[0], m.Attachments[1]
	if zipA.Filename != "logs.zip" || zipA.ContentType != "application/zip" || gzA.Filename != "dump.sql.gz" || gzA.ContentType != "application/gzip" {
		t.Errorf("attachments = %+v", m.Attachments)
	}
	if b := s.blobs[zipA.BlobKey]; !bytes.HasPrefix(b, []byte("PK\x03\x04")) || int64(len(b)) != zipA.Size {
		t.Errorf("zip stored %d bytes (size %d), prefix %q: must be stored as is", len(b), zipA.Size, b[:min(4, len(b))])
	}
	if b := s.blobs[gzA.BlobKey]; !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) || int64(len(b)) != gzA.Size {
		t.Errorf("gzip stored %d bytes (size %d): must be stored compressed", len(b), gzA.Size)
	}

	m, s = parseCorpus(t, "gmail_inline_image")
	if len(m.Attachments) != 1 {
		t.Fatalf("attachments = %+v", m.Attachments)
	}
	a := m.Attachments[0]
	if a.ContentID != "ii_lx1abc2d0" || !a.Inline || a.Filename != "erro.png" || a.Size != 70 {
		t.Errorf("inline image = %+v", a)
	}
	if !bytes.HasPrefix(s.blobs[a.BlobKey], []byte("\x89PNG")) {
		t.Error("PNG bytes not decoded")
	}
	if !strings.Contains(m.HTMLBody, `src="/attachments/ii_lx1abc2d0"`) {
		t.Errorf("cid not rewritten: %s", m.HTMLBody)
	}

	m, s = parseCorpus(t, "uuencode_body")
	if len(m.Attachments) != 1 || string(s.blobs[m.Attachments[0].BlobKey]) != "Olá, mundo!\nSegunda linha do arquivo.\n" {
		t.Errorf("uuencode: %+v", m.Attachments)
	}
	if strings.Contains(m.TextBody, "begin 644") || !strings.Contains(m.TextBody, "Fim da mensagem.") {
		t.Errorf("uuencode text = %q", m.TextBody)
	}

	m, _ = parseCorpus(t, "outlook_winmail_dat")
	if len(m.Attachments) != 1 || m.Attachments[0].Filename != "winmail.dat" || !hasWarning(m, "TNEF") {
		t.Errorf("winmail.dat: %+v %q", m.Attachments, m.Warnings)
	}

	m, _ = parseCorpus(t, "rfc2231_continuation")
	if len(m.Attachments) != 1 || m.Attachments[0].Filename != "Contrato de prestação de serviços – versao final.pdf" {
		t.Errorf("rfc2231 continuation: %+v", m.Attachments)
	}
	m, _ = parseCorpus(t, "rfc2231_latin1")
	if len(m.Attachments) != 1 || m.Attachments[0].Filename != "Preços médios.xls" {
		t.Errorf("rfc2231 latin1: %+v", m.Attachments)
	}
	m, _ = parseCorpus(t, "filename_encoded_word")
	if len(m.Attachments) != 2 || m.Attachments[0].Filename != "Orçamento nº 12.pdf" || m.Attachments[1].Filename != "passwd" {
		t.Errorf("filenames: %+v", m.Attachments)
	}
	m, s = parseCorpus(t, "dsn_postfix")
	if len(m.Attachments) != 2 || m.Attachments[1].ContentType != "message/rfc822" || m.Attachments[1].Filename != "[#6001] Seu pedido foi enviado.eml" ||
		!bytes.HasPrefix(s.blobs[m.Attachments[1].BlobKey], []byte("Return-Path: <suporte@lojaexemplo.com.br>")) {
		t.Errorf("message/rfc822 attachment: %+v", m.Attachments)
	}
}

func TestSinkErrorIsWarning(t *testing.T) {
	m, err := ParseFile("testdata/corpus/gmail_attachment_pdf.eml", Options{Sink: func(Attachment, io.Reader) (string, int64, error) {
		return "", 0, errors.New("disk full")
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Size != 142 || m.Attachments[0].BlobKey != "" || !hasWarning(m, "disk full") {
		t.Errorf("attachments %+v warnings %q", m.Attachments, m.Warnings)
	}
}

func TestHTMLSanitized(t *testing.T) {
	forbidden := []string{"<script", "onerror", "onload", "onclick", "onmouseover", "javascript:", "vbscript:", "<form", "<input",
		"<iframe", "<object", "<embed", "<meta", "<link", "<base", "<style", "expression(", "url(", "<svg", "data:text", "data:image/svg", "position"}
	files, _ := filepath.Glob("testdata/corpus/*.eml")
	for _, f := range files {
		m, err := ParseFile(f, Options{})
		if err != nil {
			t.Fatal(err)
		}
		low := strings.ToLower(m.HTMLBody)
		for _, bad := range forbidden {
			if strings.Contains(low, bad) {
				t.Errorf("%s: sanitized HTML contains %q:\n%s", filepath.Base(f), bad, m.HTMLBody)
			}
		}
		if strings.Contains(low, ` src="http`) || strings.Contains(low, ` src="//`) {
			t.Errorf("%s: remote image not neutralized", filepath.Base(f))
		}
	}

	m, _ := parseCorpus(t, "newsletter_bulk")
	if !strings.Contains(m.HTMLBody, `<img src="" alt="Banner" width="600" data-remote-src="https://ofertas-exemplo.com.br/banner.jpg"/>`) {
		t.Errorf("remote image placeholder missing:\n%s", m.HTMLBody)
	}
	if !strings.Contains(m.HTMLBody, `style="color: #333333; font-size: 14px"`) {
		t.Errorf("safe inline style dropped:\n%s", m.HTMLBody)
	}
	m, _ = parseCorpus(t, "hostile_svg")
	if !strings.Contains(m.HTMLBody, `<img src="data:image/png;base64,iVBORw0KGgo=" alt="ok"/>`) {
		t.Errorf("raster data: image dropped:\n%s", m.HTMLBody)
	}
	m, _ = parseCorpus(t, "hostile_cid_and_remote")
	if !strings.Contains(m.HTMLBody, `<img src="/attachments/logo@parceira" alt="logo"/>`) {
		t.Errorf("escaped cid not rewritten:\n%s", m.HTMLBody)
	}
	// without AttachmentURL the cid stays as a placeholder
	m, _ = ParseFile("testdata/corpus/hostile_cid_and_remote.eml", Options{})
	if !strings.Contains(m.HTMLBody, `<img src="" alt="logo" data-cid="logo@parceira"/>`) {
		t.Errorf("cid placeholder missing:\n%s", m.HTMLBody)
	}
}

func TestBodies(t *testing.T) {
	m, _ := parseCorpus(t, "html_only")
	want := "Atualização\n\nO pedido 7781 foi enviado.\n\n- Item A\n- Item B\n\nDúvidas? Central de ajuda <https://parceira-exemplo.com.br/ajuda>"
	if m.TextBody != want {
		t.Errorf("text from HTML = %q, want %q", m.TextBody, want)
	}
	m, _ = parseCorpus(t, "apple_mail_inline_attachment")
	if m.TextBody != "Veja a foto:\n\nA alça veio quebrada." {
		t.Errorf("Apple Mail split text = %q", m.TextBody)
	}
	m, _ = parseCorpus(t, "missing_final_boundary")
	if m.TextBody != "Texto antes do anexo." || len(m.Attachments) != 1 || !hasWarning(m, "missing closing boundary") {
		t.Errorf("missing final boundary: %q %+v %q", m.TextBody, m.Attachments, m.Warnings)
	}
	m, _ = parseCorpus(t, "missing_boundary_param")
	if m.TextBody != "Texto com boundary descoberto." || !strings.Contains(m.HTMLBody, "<p>Texto com boundary descoberto.</p>") {
		t.Errorf("sniffed boundary: %q %q", m.TextBody, m.HTMLBody)
	}
	m, _ = parseCorpus(t, "bare_lf")
	if m.TextBody != "Linhas terminadas só com LF." || len(m.Attachments) != 1 || m.Attachments[0].Size != 15 {
		t.Errorf("bare LF: %q %+v", m.TextBody, m.Attachments)
	}
	m, _ = parseCorpus(t, "base64_damaged")
	if m.TextBody != "Olá, este texto tem lixo no meio do base64." {
		t.Errorf("damaged base64 = %q", m.TextBody)
	}
	m, _ = parseCorpus(t, "iphone_reply")
	if strings.ContainsRune(m.TextBody, '\uFEFF') {
		t.Error("U+FEFF kept in text")
	}
}

// TestErrors checks that input without a header, or empty, is
// still a (partial) message rather than an error, and that only I/O errors
// fail.
func TestErrors(t *testing.T) {
	m, err := Parse(strings.NewReader(""), Options{})
	if err != nil || !m.Partial || !hasWarning(m, "empty message") || m.TextBody != "" {
		t.Errorf("empty input: %v %+v", err, m)
	}
	bin := bytes.Repeat([]byte{0x00, 0x01, 0xfe, 0x7f, 0x89, 'P', 'N', 'G', '\n'}, 1000)
	m, err = Parse(bytes.NewReader(bin), Options{})
	if err != nil || !m.Partial || !hasWarning(m, "no header found") || !utf8.ValidString(m.TextBody) || len(m.TextBody) < 8000 {
		t.Errorf("binary input: err = %v, partial %v, %d bytes of text", err, m.Partial, len(m.TextBody))
	}
	m, err = Parse(strings.NewReader("Olá, só o corpo.\nSegunda linha: sem cabeçalho.\n"), Options{})
	if err != nil || m.TextBody != "Olá, só o corpo.\nSegunda linha: sem cabeçalho." || m.From.Address != "" || !m.Partial {
		t.Errorf("body only: %v %+v", err, m)
	}
	_, err = Parse(iotest.TimeoutReader(strings.NewReader("From: a@example.com\nSubject: x\n\n"+strings.Repeat("corpo\n", 5000))), Options{})
	if err == nil || !errors.Is(err, iotest.ErrTimeout) {
		t.Errorf("read error: err = %v", err)
	}
	_, err = ParseFile("testdata/does-not-exist.eml", Options{})
	if err == nil || !strings.Contains(err.Error(), "testdata/does-not-exist.eml") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
}

// TestFallback checks the partial message ingest builds when Parse panics.
func TestFallback(t *testing.T) {
	raw := "From: Ana Lima <Ana@Example.com>\r\nTo: suporte@acme.test\r\nSubject: =?utf-8?Q?Pe=C3=A7a?=\r\n" +
		"Message-ID: <fb-1@example.com>\r\nDate: Wed, 5 Jun 2024 10:00:00 -0300\r\n\r\nA peça\x00 veio errada.\r\n"
	m := Fallback(strings.NewReader(raw), "parser panic: boom")
	if !m.Partial || m.From.Address != "ana@example.com" || m.Subject != "Peça" || m.MessageID != "fb-1@example.com" ||
		m.TextBody != "A peça veio errada." || m.ReplyVisibleText != m.TextBody || m.Date.IsZero() ||
		len(m.Warnings) == 0 || !strings.Contains(m.Warnings[0], "boom") {
		t.Errorf("fallback = %+v", m)
	}
	m = Fallback(bytes.NewReader([]byte{0xff, 'o', 'i', 0x00}), "x")
	if m.TextBody != "ÿoi" || !m.Partial {
		t.Errorf("fallback of junk = %q", m.TextBody)
	}
}

// A subject or display name is one line: encoded line breaks and control
// characters never reach the ticket, its list or a reply's headers
// (issue 13 item 8: such a ticket could not be answered).
func TestHeaderTextIsOneLine(t *testing.T) {
	b64 := func(s string) string { return "=?utf-8?B?" + base64Std(s) + "?=" }
	raw := "From: " + b64("João\r\nBcc: x@evil.test") + " <joao@cliente.test>\r\n" +
		"To: " + b64("Suporte\x07\u202e") + " <suporte@acme.test>, =?utf-8?Q?Maria=0ASilva?= <maria@acme.test>\r\n" +
		"Subject: " + b64("Pedido\r\n\r\nBcc: x@evil.test\x00 fim\ttab \u2028linha") + "\r\n\r\ncorpo\r\n"
	m, err := Parse(strings.NewReader(raw), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Pedido Bcc: x@evil.test fim\ttab linha"; m.Subject != want {
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
	if m.From.Name != "João Bcc: x@evil.test" || m.From.Address != "joao@cliente.test" {
		t.Errorf("from %+v", m.From)
	}
	if len(m.To) != 2 || m.To[0].Name != "Suporte" || m.To[1].Name != "Maria Silva" {
		t.Errorf("to %+v", m.To)
	}
	for _, s := range []string{m.Subject, m.From.Name, m.To[0].Name, m.To[1].Name} {
		if strings.ContainsAny(s, "\r\n\x00\x07") {
			t.Errorf("control character left in %q", s)
		}
	}
	// Ordinary text is left exactly as it was.
	for _, s := range []string{"Re:  dois espaços", "\tRe: tab", "שלום \u200fעולם", ""} {
		if got := oneLine(s); got != s {
			t.Errorf("oneLine(%q) = %q", s, got)
		}
	}
}

func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
