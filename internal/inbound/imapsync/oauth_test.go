package imapsync

import (
	"strings"
	"testing"

	"github.com/atende-helpdesk/atende/internal/providers"
)

func TestOAuthProblemMessages(t *testing.T) {
	cases := []struct {
		name string
		code providers.Code
		lang string
		want string
	}{
		{"reconnect pt-BR", CodeOAuthReconnect, "pt-BR", "Um administrador precisa reconectar o canal"},
		{"reconnect en", CodeOAuthReconnect, "en", "An administrator must reconnect the channel"},
		{"refused names the server", CodeOAuthRefused, "pt-BR", "O servidor IMAP imap.gmail.com:993 recusou o acesso OAuth"},
		{"unavailable en", CodeOAuthUnavailable, "en", "We will retry automatically."},
		{"other codes keep providers' text", providers.CodeAuthFailed, "en", "IMAP authentication failed on imap.gmail.com:993"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := providers.New(tc.code, "imap", "imap.gmail.com:993", "gmail", nil)
			got := p.Message(tc.lang)
			if !strings.Contains(got, tc.want) || strings.Contains(got, "%!") {
				t.Fatalf("message %q, want it to contain %q", got, tc.want)
			}
		})
	}
	if !isAuthProblem(providers.New(CodeOAuthReconnect, "imap", "", "", nil)) || isAuthProblem(providers.New(CodeOAuthUnavailable, "imap", "", "", nil)) {
		t.Fatal("reconnect must stop retries; an unreachable provider must not")
	}
}
