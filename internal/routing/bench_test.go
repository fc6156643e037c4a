package routing

import (
	"strings"
	"testing"
)

// BenchmarkEvaluate routes a message that matches no filter, so every
// filter kind is evaluated, with a 20 KB body.
func BenchmarkEvaluate(b *testing.B) {
	r := rule()
	in := Input{
		From:       "Joana Silva <joana@outro.com.br>",
		Recipients: []string{"suporte@acme.com.br", "copia@acme.com.br"},
		Subject:    "Re: Dúvida sobre o pedido 5521",
		Body:       strings.Repeat("Olá, gostaria de saber o prazo de entrega do meu pedido. ", 350),
	}
	b.ReportAllocs()
	for b.Loop() {
		if d := Evaluate(r, in); d.MatchedFilter != -1 {
			b.Fatal(d)
		}
	}
}
