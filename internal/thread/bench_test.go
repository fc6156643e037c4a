package thread

import (
	"context"
	"testing"
)

// BenchmarkResolve resolves a reply that misses on its token and joins by
// References, the longest common path, against the in-memory index.
func BenchmarkResolve(b *testing.B) {
	in := Input{
		CompanyID:  1,
		MessageID:  "r9@cliente.com.br",
		InReplyTo:  []string{"unknown@x.test"},
		References: []string{"msg-1@cliente.com.br", "a@x.test", "b@x.test", "c@x.test", "unknown@x.test"},
		Subject:    "RES: Pedido 55 [#1001]",
		From:       "joao@cliente.com.br",
		Recipients: []string{"suporte+t-zzzzzzzzzzzzzzzzzzzzzzzz@acme.com.br", "joao@cliente.com.br"},
	}
	ctx := context.Background()
	b.ReportAllocs()
	f := newFake(b)
	for b.Loop() {
		f.askedIDs, f.askedTok, f.askedNum = f.askedIDs[:0], f.askedTok[:0], f.askedNum[:0]
		res, err := Resolve(ctx, f, in)
		if err != nil || res.Ticket.ID != 10 || res.Method != MethodReferences {
			b.Fatal(res, err)
		}
	}
}

func BenchmarkNormalizeSubject(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if NormalizeSubject("RES: ENC: Re[2]: Pedido 55 [#1001]") != "Pedido 55" {
			b.Fatal()
		}
	}
}
