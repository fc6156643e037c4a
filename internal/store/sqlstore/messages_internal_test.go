package sqlstore

import (
	"strings"
	"testing"
)

// TestMessageVectorCap: a message's vector holds the words of the first
// 262,144 characters of its text (the server's left(text_body, 262144)
// before 0028), counted in characters, not bytes.
func TestMessageVectorCap(t *testing.T) {
	// "ção " is 4 characters and 6 bytes: 65,534 of them are 262,136
	// characters; "fim" ends at 262,139 and "passou" is cut after "pass".
	text := strings.Repeat("ção ", 65534) + "fim passou depois"
	v := messageVector("Assunto", "Nome", "a@b.c", text)
	if !strings.Contains(v.Vector, "'fim':") || !strings.Contains(v.Vector, "'pass':") {
		t.Errorf("the words up to character 262,144 are missing: …%s", v.Vector[len(v.Vector)-60:])
	}
	if strings.Contains(v.Vector, "'passou'") || strings.Contains(v.Vector, "'depois'") {
		t.Error("a word past 262,144 characters is in the vector")
	}
	if v.Text != text || v.Subject != "Assunto" || v.FromAddress != "a@b.c" {
		t.Error("the vector does not name the fields it was made of")
	}
}
