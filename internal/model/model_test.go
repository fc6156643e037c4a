package model

import "testing"

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"Pedido 42":                       "Pedido 42",
		"Pedido\r\nBcc: x@evil.test":      "Pedido Bcc: x@evil.test",
		"  a\tb\x00c\x7fd\u0085e\u2028f ": "a b c d e f",
		"Olá,  mundo":                     "Olá, mundo",
		"":                                "",
	} {
		if got := OneLine(in); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", in, got, want)
		}
	}
}
