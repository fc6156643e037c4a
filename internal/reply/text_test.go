package reply

import "testing"

func TestMarkdownText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"emphasis", "Seu pedido **saiu** hoje, _amanhã_ chega. *Obrigado*!", "Seu pedido saiu hoje, amanhã chega. Obrigado!"},
		{"underscores in words and addresses stay", "escreva para joao_silva_ok@example.com ou snake_case_name", "escreva para joao_silva_ok@example.com ou snake_case_name"},
		{"link", "Veja [o manual](https://exemplo.com/m) ou https://x.test", "Veja o manual <https://exemplo.com/m> ou https://x.test"},
		{"bare link in brackets", "[https://x.test](https://x.test)", "https://x.test"},
		{"image", "![foto da caixa](cid:a) e ![](https://x/y.png)", "[imagem: foto da caixa] e [imagem]"},
		{"pasted image", "antes ![image-1.png](attachment:image-1.png) depois", "antes [imagem: image-1.png] depois"},
		{"pasted image without description", "![](attachment:tela%20cheia.png)", "[imagem: tela cheia.png]"},
		{"lists and quotes stay", "- um\n1. dois\n> citado", "- um\n1. dois\n> citado"},
		{"heading", "## Prazos", "Prazos"},
		{"escapes", `2 \* 3 e \_x\_`, "2 * 3 e _x_"},
		{"code untouched", "texto\n\n    **literal** _x_\n```\n**também**\n```", "texto\n\n    **literal** _x_\n```\n**também**\n```"},
		{"unknown variable stays", "Olá {{contato.apelido}}", "Olá {{contato.apelido}}"},
	} {
		if got := markdownText(tc.in, "pt-BR"); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if got, want := markdownText("veja ![image-1.png](attachment:image-1.png) e ![](https://x/y.png)", "en"), "veja [image: image-1.png] e [image]"; got != want {
		t.Errorf("english: %q, want %q", got, want)
	}
}
