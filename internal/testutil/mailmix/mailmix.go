// Package mailmix generates a deterministic, realistic mix of inbound mail
// for benchmarks: 70% plain-text messages of about 5 KB (some
// quoted-printable, some replies quoting earlier mail), 25% newsletter-style
// HTML messages of about 50 KB (multipart/alternative with a text part, or
// HTML only), and 5% messages with a PDF-like attachment of about 2 MB in
// base64. Text is Portuguese (pt-BR) and English. Everything is written
// here; message i is the same on every run.
package mailmix

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/quotedprintable"
	"strings"
	"time"
)

// Kind is the shape of one message of the mix.
type Kind int

// The shapes of the mix.
const (
	Text Kind = iota
	HTML
	Attachment
)

func (k Kind) String() string {
	return [...]string{"text", "html", "attachment"}[k]
}

// KindOf is the shape of message i: of every 20 messages, 14 are text,
// 5 HTML and 1 carries an attachment.
func KindOf(i int) Kind {
	switch k := i % 20; {
	case k < 14:
		return Text
	case k < 19:
		return HTML
	}
	return Attachment
}

// Sizes of the shapes (before transfer encoding).
const (
	TextSize       = 5 << 10
	HTMLSize       = 50 << 10
	AttachmentSize = 2 << 20
)

// Message returns message i of the mix, with CRLF line endings.
func Message(i int) []byte { return build(i, KindOf(i)) }

// TextMessage returns message i built as a ~5 KB text-only message.
func TextMessage(i int) []byte { return build(i, Text) }

// Messages returns messages 0..n-1.
func Messages(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = Message(i)
	}
	return out
}

// WriteMbox writes messages 0..n-1 of the mix to w as an mbox (LF line
// endings, ">From " quoting of body lines).
func WriteMbox(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	for i := 0; i < n; i++ {
		fmt.Fprintf(bw, "From cliente%d@example.com.br Wed Jun  5 10:00:00 2024\n", i)
		for _, line := range strings.Split(strings.ReplaceAll(string(Message(i)), "\r\n", "\n"), "\n") {
			if strings.HasPrefix(strings.TrimLeft(line, ">"), "From ") {
				bw.WriteByte('>')
			}
			bw.WriteString(line)
			bw.WriteByte('\n')
		}
	}
	return bw.Flush()
}

var firstNames = []string{"Ana", "Bruno", "Carla", "Diego", "Eduarda", "Felipe", "Gabriela", "Henrique", "Isabela", "João",
	"Larissa", "Marcos", "Natália", "Otávio", "Paula", "Rafael", "Sofia", "Thiago", "Vitória", "William", "Emily", "James", "Olivia", "Michael"}
var lastNames = []string{"Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Costa", "Rodrigues", "Almeida", "Nascimento",
	"Carvalho", "Gomes", "Ribeiro", "Martins", "Smith", "Johnson", "Brown", "Taylor"}
var domains = []string{"gmail.com", "outlook.com", "yahoo.com.br", "uol.com.br", "bol.com.br", "terra.com.br", "empresa.com.br", "example.com"}

var ptSentences = []string{
	"Olá, tudo bem?",
	"Fiz um pedido na semana passada e até agora não recebi nenhuma atualização sobre a entrega.",
	"O número do pedido é %d e o pagamento foi aprovado no mesmo dia.",
	"Gostaria de saber se é possível trocar o produto por outro tamanho, pois o que chegou ficou pequeno.",
	"A nota fiscal veio com o CNPJ errado; preciso de uma nova emissão para a contabilidade.",
	"Já tentei entrar em contato pelo telefone, mas a ligação sempre cai depois de alguns minutos de espera.",
	"Vocês podem me informar o prazo de reembolso? O valor ainda não apareceu na fatura do cartão.",
	"Segue em anexo o comprovante de pagamento e a foto da embalagem danificada.",
	"A transportadora informou que o endereço estava incompleto, mas conferi e está tudo certo: Rua das Acácias, 123, apto. 45.",
	"Preciso cancelar a assinatura mensal a partir do próximo ciclo de cobrança.",
	"O aplicativo está mostrando uma mensagem de erro ao finalizar a compra com Pix.",
	"Agradeço desde já pela atenção e aguardo retorno com urgência.",
	"Não consigo acessar minha conta desde ontem; a senha nova não funciona.",
	"Recebi dois boletos com o mesmo vencimento — qual deles devo pagar?",
	"Obrigada pelo atendimento rápido, a questão foi resolvida.",
	"Poderiam verificar se o cupom de desconto ainda é válido para a promoção de aniversário?",
}
var enSentences = []string{
	"Hi there,",
	"I placed an order last week and haven't received any shipping update since then.",
	"My order number is %d and the payment went through on the same day.",
	"Could you tell me whether I can exchange the item for a different size?",
	"The invoice shows the wrong company address; we need a corrected copy for accounting.",
	"I tried calling your support line, but the call keeps dropping after a few minutes on hold.",
	"When can I expect the refund? It hasn't shown up on my card statement yet.",
	"Please find attached the payment receipt and a photo of the damaged box.",
	"I'd like to cancel my monthly subscription starting with the next billing cycle.",
	"The checkout page shows an error when I try to pay with my credit card.",
	"Thanks in advance for your help — looking forward to hearing from you.",
	"I can't log in to my account since yesterday; the password reset link has expired.",
}
var signoffs = []string{"Atenciosamente,", "Abraços,", "Obrigado,", "Att.,", "Best regards,", "Thanks,", "Cheers,"}
var subjects = []string{"Pedido %d não entregue", "Troca de produto - pedido %d", "Nota fiscal incorreta (%d)", "Re: Reembolso do pedido %d",
	"Cancelamento de assinatura %d", "Order %d not delivered", "Refund request #%d", "Problema com pagamento via Pix %d",
	"Dúvida sobre a fatura %d", "Fwd: Comprovante %d", "Login issue on account %d", "Entrega atrasada — pedido %d"}

type gen struct {
	r  *rand.Rand
	i  int
	pt bool
}

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *gen) sentence() string {
	s := g.pick(enSentences)
	if g.pt {
		s = g.pick(ptSentences)
	}
	if strings.Contains(s, "%d") {
		s = fmt.Sprintf(s, 100000+g.r.IntN(900000))
	}
	return s
}

// paragraphs writes text of about n bytes as paragraphs wrapped at 72
// columns, with LF line endings.
func (g *gen) paragraphs(n int) string {
	var b strings.Builder
	for b.Len() < n {
		var p strings.Builder
		for k := 2 + g.r.IntN(4); k > 0; k-- {
			if p.Len() > 0 {
				p.WriteByte(' ')
			}
			p.WriteString(g.sentence())
		}
		b.WriteString(wrap(p.String(), 72))
		b.WriteString("\n\n")
	}
	return b.String()
}

func wrap(s string, width int) string {
	var b strings.Builder
	col := 0
	for _, w := range strings.Fields(s) {
		if col > 0 && col+1+len(w) > width {
			b.WriteByte('\n')
			col = 0
		} else if col > 0 {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	return b.String()
}

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

func build(i int, k Kind) []byte {
	g := &gen{r: rand.New(rand.NewPCG(uint64(i), 0x6d61696c6d6978)), i: i}
	g.pt = g.r.IntN(10) < 7
	first, last := g.pick(firstNames), g.pick(lastNames)
	user := strings.ToLower(strings.NewReplacer("á", "a", "ã", "a", "é", "e", "í", "i", "ó", "o", "ô", "o", "ú", "u", "ç", "c").Replace(first + "." + last))
	from := fmt.Sprintf("%s%d@%s", user, i%997, g.pick(domains))
	date := time.Date(2024, 6, 5, 10, 0, 0, 0, time.FixedZone("-0300", -3*3600)).Add(time.Duration(i) * 37 * time.Second)
	var b bytes.Buffer
	fmt.Fprintf(&b, "Return-Path: <%s>\r\nReceived: from mail.%s (mail.%[2]s [203.0.113.%d]) by mx.acme.test with ESMTPS id %x; %s\r\n",
		from, g.pick(domains), 1+i%250, g.r.Uint64(), date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "From: =?UTF-8?Q?%s?= <%s>\r\nTo: Suporte ACME <suporte@acme.test>\r\n", qEncode(first+" "+last), from)
	subj := fmt.Sprintf(g.pick(subjects), 100000+i)
	fmt.Fprintf(&b, "Subject: =?UTF-8?B?%s?=\r\nDate: %s\r\nMessage-ID: <mix-%d.%x@%s>\r\nMIME-Version: 1.0\r\n",
		base64.StdEncoding.EncodeToString([]byte(subj)), date.Format(time.RFC1123Z), i, g.r.Uint32(), "mail.example.com")
	if i%5 == 1 && i > 1 {
		fmt.Fprintf(&b, "In-Reply-To: <mix-%d.0@mail.example.com>\r\nReferences: <mix-%d.0@mail.example.com>\r\n", i-1, i-1)
	}
	switch k {
	case Text:
		body := g.paragraphs(TextSize - 600)
		if i%3 == 0 {
			body += g.quoted(600)
		} else {
			body += g.pick(signoffs) + "\n" + first + " " + last + "\n"
		}
		if i%4 == 0 {
			var qp bytes.Buffer
			w := quotedprintable.NewWriter(&qp)
			w.Write([]byte(crlf(body)))
			w.Close()
			fmt.Fprintf(&b, "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n%s\r\n", qp.String())
		} else {
			fmt.Fprintf(&b, "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s", crlf(body))
		}
	case HTML:
		html := g.newsletter(HTMLSize)
		if i%2 == 0 {
			var qp bytes.Buffer
			w := quotedprintable.NewWriter(&qp)
			w.Write([]byte(crlf(html)))
			w.Close()
			fmt.Fprintf(&b, "Content-Type: multipart/alternative; boundary=\"alt-%d\"\r\n\r\n--alt-%[1]d\r\nContent-Type: text/plain; charset=utf-8\r\n"+
				"Content-Transfer-Encoding: 8bit\r\n\r\n%[2]s\r\n--alt-%[1]d\r\nContent-Type: text/html; charset=utf-8\r\n"+
				"Content-Transfer-Encoding: quoted-printable\r\n\r\n%[3]s\r\n--alt-%[1]d--\r\n", i, crlf(g.paragraphs(2<<10)), qp.String())
		} else {
			fmt.Fprintf(&b, "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s", crlf(html))
		}
	case Attachment:
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"mix-%d\"\r\n\r\nThis is a multi-part message in MIME format.\r\n"+
			"--mix-%[1]d\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n"+
			"--mix-%[1]d\r\nContent-Type: application/pdf; name=\"nota-fiscal-%[1]d.pdf\"\r\nContent-Disposition: attachment; filename=\"nota-fiscal-%[1]d.pdf\"\r\n"+
			"Content-Transfer-Encoding: base64\r\n\r\n", i, crlf(g.paragraphs(1<<10)))
		fmt.Fprintf(&b, "%s--mix-%d--\r\n", Base64Lines(g.pdf(AttachmentSize)), i)
	}
	return b.Bytes()
}

// Base64Lines is data in base64 as mail carries it: lines of 76
// characters, each ending in CRLF (the last one too).
func Base64Lines(data []byte) string {
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	b.Grow(len(enc) + len(enc)/76*2 + 2)
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteString("\r\n")
	return b.String()
}

// quoted is an earlier message quoted below the reply, Gmail style.
func (g *gen) quoted(n int) string {
	var b strings.Builder
	b.WriteString(g.pick(signoffs) + "\n\n")
	if g.pt {
		b.WriteString("Em ter., 4 de jun. de 2024 às 16:20, Suporte ACME <suporte@acme.test> escreveu:\n")
	} else {
		b.WriteString("On Tue, Jun 4, 2024 at 4:20 PM Suporte ACME <suporte@acme.test> wrote:\n")
	}
	for _, l := range strings.Split(g.paragraphs(n), "\n") {
		b.WriteString("> " + l + "\n")
	}
	return b.String()
}

// newsletter is a table-based marketing/newsletter HTML body of about n bytes.
func (g *gen) newsletter(n int) string {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"pt-BR\"><head><meta charset=\"utf-8\"><title>Novidades da semana</title>\n" +
		"<style>body{font-family:Arial,sans-serif;color:#333}.btn{background:#0a66c2;color:#fff;padding:10px 18px;border-radius:4px}</style>\n" +
		"</head><body style=\"margin:0;padding:0;background:#f4f4f4\">\n<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\">\n" +
		"<tr><td align=\"center\"><img src=\"https://news.example.com/logo.png\" alt=\"ACME\" width=\"120\" height=\"40\"></td></tr>\n")
	for b.Len() < n-400 {
		fmt.Fprintf(&b, "<tr><td style=\"padding:16px 24px;background:#ffffff\">\n<h2 style=\"font-size:18px;margin:0 0 8px\">%s</h2>\n"+
			"<p style=\"font-size:14px;line-height:1.5\">%s <a href=\"https://news.example.com/r/%d?utm_source=newsletter&amp;utm_medium=email\" class=\"btn\">%s</a></p>\n"+
			"<p style=\"font-size:14px;line-height:1.5\">%s &nbsp;<b>%s</b> &mdash; <i>R$&nbsp;%d,%02d</i></p>\n</td></tr>\n",
			g.sentence(), g.sentence(), g.r.IntN(1e6), g.pick([]string{"Saiba mais", "Ver oferta", "Read more", "Comprar agora"}),
			g.sentence(), g.sentence(), 10+g.r.IntN(990), g.r.IntN(100))
	}
	b.WriteString("<tr><td style=\"font-size:11px;color:#999\">Você recebeu este e-mail porque se cadastrou em nosso site. " +
		"<a href=\"https://news.example.com/unsubscribe\">Descadastrar</a></td></tr>\n</table></body></html>\n")
	return b.String()
}

// pdf returns n bytes shaped like a PDF: a header, text objects and
// incompressible stream data.
func (g *gen) pdf(n int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	obj := 1
	for b.Len() < n {
		fmt.Fprintf(&b, "%d 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", obj, 4096)
		chunk := make([]byte, 4096)
		for j := 0; j < len(chunk); j += 8 {
			v := g.r.Uint64()
			for k := 0; k < 8 && j+k < len(chunk); k++ {
				chunk[j+k] = byte(v >> (8 * k))
			}
		}
		b.Write(chunk)
		b.WriteString("\nendstream\nendobj\n")
		obj++
	}
	out := b.Bytes()[:n-6]
	return append(out, "%%EOF\n"...)
}

func qEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			b.WriteByte('_')
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	return b.String()
}
