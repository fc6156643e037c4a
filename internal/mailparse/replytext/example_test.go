package replytext_test

import (
	"fmt"

	"github.com/atende-helpdesk/atende/internal/mailparse/replytext"
)

func ExampleText() {
	body := "Pode fechar o chamado, obrigado.\n\n" +
		"Enviado do meu iPhone\n\n" +
		"Em qua., 5 de jun. de 2024 às 10:00, Suporte <suporte@acme.com.br> escreveu:\n" +
		"> O técnico já esteve aí?\n"
	fmt.Println(replytext.Text(body))
	// Output: Pode fechar o chamado, obrigado.
}

func ExampleHTML() {
	body := `<div dir="ltr">Thanks, it works now.</div><br>` +
		`<div class="gmail_quote"><div class="gmail_attr">On Wed, Jun 5, 2024 at 10:00 AM Support &lt;support@example.com&gt; wrote:</div>` +
		`<blockquote class="gmail_quote">Please try again.</blockquote></div>`
	fmt.Println(replytext.HTML(body))
	// Output: Thanks, it works now.
}
