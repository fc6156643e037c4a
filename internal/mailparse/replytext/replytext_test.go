package replytext

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*/*.expected.txt from the current output")

// fileCase is one body under testdata/<dir>/ with its expected visible text
// in <name>.expected.txt.
type fileCase struct {
	name, input, expectedPath, expected string
}

// loadCases reads testdata/<dir>/*.<ext> and their expected files.
func loadCases(t testing.TB, dir, ext string) []fileCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", dir, "*."+ext))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	var cases []fileCase
	for _, p := range paths {
		if strings.HasSuffix(p, ".expected.txt") {
			continue
		}
		in, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(p), "."+ext)
		exp := filepath.Join("testdata", dir, name+".expected.txt")
		want, err := os.ReadFile(exp)
		if err != nil && !*update {
			t.Fatalf("%s: %v", name, err)
		}
		cases = append(cases, fileCase{name: name, input: string(in), expectedPath: exp, expected: strings.TrimSuffix(string(want), "\n")})
	}
	return cases
}

func checkFileCases(t *testing.T, cases []fileCase, fn func(string) string) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := fn(tc.input)
			if *update {
				if err := os.WriteFile(tc.expectedPath, []byte(got+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != tc.expected {
				t.Errorf("got:\n%s\n----- want:\n%s", got, tc.expected)
			}
		})
	}
}

// inlineCases are short bodies, mostly the false positives that must keep
// their text.
var inlineTextCases = []struct {
	name, in, want string
}{
	{
		name: "fp_de_in_prose_pt",
		in:   "Bom dia,\n\nDe: hoje em diante o faturamento sai pelo sistema novo.\nPara: vocês isso muda alguma coisa?\n\nObrigado,\nCarla",
		want: "Bom dia,\n\nDe: hoje em diante o faturamento sai pelo sistema novo.\nPara: vocês isso muda alguma coisa?\n\nObrigado,\nCarla",
	},
	{
		name: "fp_memo_without_date_pt",
		in:   "Segue o recado que anotei:\n\nDe: Marcos (financeiro)\nPara: Suporte\nAssunto: boleto duplicado\n\nO cliente recebeu dois boletos de junho.",
		want: "Segue o recado que anotei:\n\nDe: Marcos (financeiro)\nPara: Suporte\nAssunto: boleto duplicado\n\nO cliente recebeu dois boletos de junho.",
	},
	{
		name: "fp_wrote_mid_sentence_en",
		in:   "Hi,\n\nYour agent wrote: \"the refund is on its way\" on June 5, but nothing arrived.\nOn Monday my manager wrote:\nplease escalate this.\n\nThanks",
		want: "Hi,\n\nYour agent wrote: \"the refund is on its way\" on June 5, but nothing arrived.\nOn Monday my manager wrote:\nplease escalate this.\n\nThanks",
	},
	{
		name: "fp_sql_dash_dash_code",
		in:   "O script de migração falha nesta parte:\n\nSELECT id, total\n--\nFROM pedidos;\n\nAlguma ideia?",
		want: "O script de migração falha nesta parte:\n\nSELECT id, total\n--\nFROM pedidos;\n\nAlguma ideia?",
	},
	{
		name: "fp_sql_dump_header",
		in:   "Segue o dump:\n\n--\n-- Table structure for table `users`\n--\n\nDROP TABLE IF EXISTS `users`;\nCREATE TABLE `users` (\n  `id` int NOT NULL\n);",
		want: "Segue o dump:\n\n--\n-- Table structure for table `users`\n--\n\nDROP TABLE IF EXISTS `users`;\nCREATE TABLE `users` (\n  `id` int NOT NULL\n);",
	},
	{
		name: "fp_starts_with_gt",
		in:   "> 1000 pedidos ficaram presos na fila desde ontem.\nPodem verificar com urgência?\n\nAtt,\nRenata",
		want: "> 1000 pedidos ficaram presos na fila desde ontem.\nPodem verificar com urgência?\n\nAtt,\nRenata",
	},
	{
		name: "fp_ends_with_gt_quote_of_error",
		in:   "Quando abro o relatório aparece:\n> Erro 500: falha ao gerar PDF\n> Tente novamente mais tarde",
		want: "Quando abro o relatório aparece:\n> Erro 500: falha ao gerar PDF\n> Tente novamente mais tarde",
	},
	{
		name: "fp_only_gt_message",
		in:   "> 50 unidades com defeito no lote 2231",
		want: "> 50 unidades com defeito no lote 2231",
	},
	{
		name: "fp_sent_from_in_prose",
		in:   "The package was sent from our warehouse in Campinas.\nIt never arrived.",
		want: "The package was sent from our warehouse in Campinas.\nIt never arrived.",
	},
	{
		name: "fp_enviado_de_volta",
		in:   "O produto foi enviado de volta ao estoque.",
		want: "O produto foi enviado de volta ao estoque.",
	},
	{
		name: "fp_enviado_do_email_errado",
		in:   "Bom dia,\nfavor desconsiderar a mensagem anterior.\nEnviado do e-mail errado, desculpem.",
		want: "Bom dia,\nfavor desconsiderar a mensagem anterior.\nEnviado do e-mail errado, desculpem.",
	},
	{
		name: "fp_enviado_com_celular_sentence",
		in:   "As fotos do defeito seguem anexas.\nEnviado com o celular da minha esposa porque o meu quebrou ontem",
		want: "As fotos do defeito seguem anexas.\nEnviado com o celular da minha esposa porque o meu quebrou ontem",
	},
	{
		name: "mobile_sigs_en_de_it",
		in:   "Ok.\n\nSent from my Samsung Galaxy smartphone.\nVon meinem iPhone gesendet\nInviato da iPhone\nGet Outlook for iOS<https://aka.ms/o0ukef>",
		want: "Ok.",
	},
	{
		name: "fp_on_date_sentence_not_header",
		in:   "Olá,\n\nEm 05/06/2024 fiz o pedido 4411 e até agora nada.\nVocês podem ver?\n",
		want: "Olá,\n\nEm 05/06/2024 fiz o pedido 4411 e até agora nada.\nVocês podem ver?",
	},
	{
		name: "fp_wrapped_header_does_not_swallow_sentence",
		in:   "On Monday I sent the contract.\nOn Wed, Jun 5, 2024 at 10:00 AM Ana Souza <ana@example.com> wrote:\n> Did you send it?\n",
		want: "On Monday I sent the contract.",
	},
	{
		name: "fp_dash_dash_in_prose",
		in:   "Tentei de tudo -- reiniciar, limpar o cache -- e nada.\nAbraço",
		want: "Tentei de tudo -- reiniciar, limpar o cache -- e nada.\nAbraço",
	},
	{
		name: "empty",
		in:   "",
		want: "",
	},
	{
		name: "only_whitespace",
		in:   " \r\n\t\n",
		want: "",
	},
	{
		name: "crlf_normalised",
		in:   "Resolvido, obrigado!\r\n\r\nEm qua., 5 de jun. de 2024 às 10:00, Suporte <suporte@acme.com.br> escreveu:\r\n\r\n> Conseguiu testar?\r\n",
		want: "Resolvido, obrigado!",
	},
	{
		name: "sig_delimiter_rfc3676",
		in:   "Pode cancelar a assinatura.\n\n-- \nJoão Pereira\nGerente de TI | Loja Azul\n(11) 4002-8922",
		want: "Pode cancelar a assinatura.",
	},
	{
		name: "sig_then_quote_bottom",
		in:   "Funcionou.\n-- \nPaulo\n\nOn 6/5/24 10:00, Suporte wrote:\n> Teste agora.\n",
		want: "Funcionou.",
	},
	{
		name: "forward_without_note_returns_original",
		in:   "---------- Forwarded message ---------\nFrom: Loja <loja@example.com>\nDate: Wed, Jun 5, 2024 at 10:00 AM\nSubject: Pedido 123\nTo: <eu@example.com>\n\nSeu pedido foi enviado.\n",
		want: "---------- Forwarded message ---------\nFrom: Loja <loja@example.com>\nDate: Wed, Jun 5, 2024 at 10:00 AM\nSubject: Pedido 123\nTo: <eu@example.com>\n\nSeu pedido foi enviado.",
	},
	{
		name: "only_quote_returns_original",
		in:   "Em 05/06/2024 10:00, Suporte escreveu:\n> Conseguiu testar?\n",
		want: "Em 05/06/2024 10:00, Suporte escreveu:\n> Conseguiu testar?",
	},
	{
		name: "outlook_header_with_bold_markers",
		in:   "Segue.\n\n*From:* Ana <ana@example.com>\n*Sent:* Wednesday, June 5, 2024 10:00 AM\n*To:* Suporte <suporte@example.com>\n*Subject:* Pedido\n\nTexto antigo",
		want: "Segue.",
	},
}

func TestText(t *testing.T) {
	for _, tc := range inlineTextCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Text(tc.in); got != tc.want {
				t.Errorf("Text(%q)\ngot:\n%s\n----- want:\n%s", tc.in, got, tc.want)
			}
		})
	}
	checkFileCases(t, loadCases(t, "text", "txt"), Text)
}

var inlineHTMLCases = []struct {
	name, in, want string
}{
	{
		name: "empty",
		in:   "",
		want: "",
	},
	{
		name: "plain_paragraphs",
		in:   "<p>Primeiro parágrafo.</p><p>Segundo<br>com quebra.</p>",
		want: "Primeiro parágrafo.\n\nSegundo\ncom quebra.",
	},
	{
		name: "hidden_preheader_and_style",
		in:   "<html><head><style>p{color:red}</style><title>x</title></head><body><div style=\"display: none\">preheader</div><p>Oi!</p></body></html>",
		want: "Oi!",
	},
	{
		name: "gmail_indent_blockquote_is_not_a_quote",
		in:   "<div dir=\"ltr\">Veja o trecho:<blockquote style=\"margin:0 0 0 40px;border:none;padding:0px\"><div>cláusula 4.2</div><div>prazo de 30 dias</div></blockquote><div>Está certo?</div></div>",
		want: "Veja o trecho:\ncláusula 4.2\nprazo de 30 dias\nEstá certo?",
	},
	{
		name: "only_gmail_quote_returns_whole_text",
		in:   "<div class=\"gmail_quote\"><div class=\"gmail_attr\">---------- Forwarded message ---------<br>From: <b>Loja</b> &lt;loja@example.com&gt;<br></div><br>Seu pedido foi enviado.</div>",
		want: "---------- Forwarded message ---------\nFrom: Loja <loja@example.com>\n\nSeu pedido foi enviado.",
	},
	{
		name: "unclosed_head",
		in:   "<html><head><title>Re: pedido</title><meta charset=utf-8><body><div>Chegou, obrigado.</div>",
		want: "Chegou, obrigado.",
	},
	{
		name: "hidden_paragraph_without_end_tag",
		in:   "<p style=\"display:none\">texto oculto<p>Texto visível</p>",
		want: "Texto visível",
	},
	{
		name: "nul_and_entities",
		in:   "<div>a\x00b &amp; c&nbsp;d</div>",
		want: "a\uFFFDb & c d",
	},
}

func TestHTML(t *testing.T) {
	for _, tc := range inlineHTMLCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := HTML(tc.in); got != tc.want {
				t.Errorf("HTML(%q)\ngot:\n%s\n----- want:\n%s", tc.in, got, tc.want)
			}
		})
	}
	checkFileCases(t, loadCases(t, "html", "html"), HTML)
}

// TestHTMLWithoutStyleIDOrType checks that the text rules still find the
// history when a sanitizer has dropped the style, id, type and data-*
// attributes the HTML markers rely on (class names kept): Outlook's header
// box then reads as a "De:/Enviada em:/Para:/Assunto:" block and quotes as ">"
// lines. The cases listed differ, each for the reason given.
func TestHTMLWithoutStyleIDOrType(t *testing.T) {
	differs := map[string]string{
		"en_new_outlook_reference_container": "signature is only marked by id=Signature",
		"en_thunderbird_interleaved":         "later blockquotes are ordinary quotes without their type=cite",
		"pt_roundcube_bottom_post":           "a bottom-posted generic quote and its header are kept",
		"pt_zimbra_reply":                    "signature is only marked by data-marker",
	}
	attr := regexp.MustCompile(`\s(style|type|id|data-marker)=("[^"]*"|'[^']*')`)
	for _, tc := range loadCases(t, "html", "html") {
		if _, ok := differs[tc.name]; ok {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			in := attr.ReplaceAllString(tc.input, "")
			if got := HTML(in); got != tc.expected {
				t.Errorf("got:\n%s\n----- want:\n%s", got, tc.expected)
			}
		})
	}
}
