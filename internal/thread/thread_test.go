package thread

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// fakeIndex is an in-memory Index, scoped per company like the real store,
// that records every lookup so tests can assert what was (not) asked.
type fakeIndex struct {
	t        testing.TB
	msgIDs   map[int64]map[string]TicketRef
	tokens   map[int64]map[string]TicketRef
	numbers  map[int64]map[int64]TicketRef
	err      error
	askedIDs []string
	askedTok []string
	askedNum []int64
}

func (f *fakeIndex) TicketsByMessageIDs(_ context.Context, companyID int64, ids []string) (map[string]TicketRef, error) {
	if f.err != nil {
		return nil, f.err
	}
	out := map[string]TicketRef{}
	for _, id := range ids {
		if strings.TrimSpace(id) == "" {
			f.t.Errorf("TicketsByMessageIDs asked for empty Message-ID %q", id)
		}
		f.askedIDs = append(f.askedIDs, id)
		if t, ok := f.msgIDs[companyID][id]; ok {
			out[id] = t
		}
	}
	return out, nil
}

func (f *fakeIndex) TicketByReplyToken(_ context.Context, companyID int64, tok string) (TicketRef, bool, error) {
	if f.err != nil {
		return TicketRef{}, false, f.err
	}
	if !ValidToken(tok) {
		f.t.Errorf("TicketByReplyToken asked for malformed token %q", tok)
	}
	f.askedTok = append(f.askedTok, tok)
	t, ok := f.tokens[companyID][tok]
	return t, ok, nil
}

func (f *fakeIndex) TicketByNumber(_ context.Context, companyID int64, n int64) (TicketRef, bool, error) {
	if f.err != nil {
		return TicketRef{}, false, f.err
	}
	f.askedNum = append(f.askedNum, n)
	t, ok := f.numbers[companyID][n]
	return t, ok, nil
}

// Fixture: company 1 has three tickets; company 2 has one that reuses
// ticket number 1001 and a Message-ID, to prove lookups are per company.
const (
	tokA = "abcdefghijklmnopqrstuvwx" // ticket 10
	tokB = "mnbvcxzlkjhgfdsapoiuytre" // ticket 30
	tokC = "qazwsxedcrfvtgbyhnujmiko" // company 2's ticket
)

var (
	t1 = TicketRef{ID: 10, Number: 1001, ChannelID: 7, Participants: []string{"joao@cliente.com.br", "ana@fornecedor.com"}}
	t2 = TicketRef{ID: 20, Number: 1002, Participants: []string{"maria@gmail.com"}}
	t3 = TicketRef{ID: 30, Number: 1003, Participants: []string{"cliente@empresa.com"}}
	t9 = TicketRef{ID: 90, Number: 1001, Participants: []string{"joao@cliente.com.br"}}
)

func newFake(t testing.TB) *fakeIndex {
	return &fakeIndex{
		t: t,
		msgIDs: map[int64]map[string]TicketRef{
			1: {
				"msg-1@cliente.com.br":  t1, // the customer's first mail
				"out-1@atende.example":  t1, // our reply
				"msg-2@gmail.com":       t2,
				"old-t3@empresa.com":    t3,
				"loop@relay.example":    t3, // an earlier copy of a looping message
				"":                      t3, // a buggy row for a message without Message-ID
				"Case-Sensitive@x.test": t3,
			},
			2: {"msg-1@cliente.com.br": t9},
		},
		tokens: map[int64]map[string]TicketRef{
			1: {tokA: t1, tokB: t3},
			2: {tokC: t9},
		},
		numbers: map[int64]map[int64]TicketRef{
			1: {1001: t1, 1002: t2, 1003: t3},
			2: {1001: t9},
		},
	}
}

func TestResolve(t *testing.T) {
	longRefs := []string{"msg-1@cliente.com.br"} // oldest, beyond MaxReferences
	for i := range MaxReferences + 20 {
		longRefs = append(longRefs, fmt.Sprintf("unknown-%d@x.test", i))
	}

	tests := []struct {
		name       string
		in         Input
		wantID     int64 // 0 = new ticket
		wantMethod Method
		wantFwd    bool
		check      func(t *testing.T, f *fakeIndex)
	}{
		{
			name:       "reply by In-Reply-To to our message",
			in:         Input{CompanyID: 1, MessageID: "r1@cliente.com.br", InReplyTo: []string{"out-1@atende.example"}, References: []string{"msg-1@cliente.com.br", "out-1@atende.example"}, Subject: "Re: Pedido 55", From: "joao@cliente.com.br"},
			wantID:     10,
			wantMethod: MethodInReplyTo,
		},
		{
			name:       "reply by References only",
			in:         Input{CompanyID: 1, MessageID: "r2@cliente.com.br", References: []string{"msg-1@cliente.com.br", "unknown@elsewhere.test"}, Subject: "Re: Pedido 55", From: "joao@cliente.com.br"},
			wantID:     10,
			wantMethod: MethodReferences,
		},
		{
			name:       "References are tried newest first",
			in:         Input{CompanyID: 1, References: []string{"old-t3@empresa.com", "msg-2@gmail.com"}, Subject: "Re: x", From: "maria@gmail.com"},
			wantID:     20,
			wantMethod: MethodReferences,
		},
		{
			name:       "In-Reply-To wins over References",
			in:         Input{CompanyID: 1, InReplyTo: []string{"msg-2@gmail.com"}, References: []string{"msg-1@cliente.com.br"}, Subject: "Re: x", From: "maria@gmail.com"},
			wantID:     20,
			wantMethod: MethodInReplyTo,
		},
		{
			name:       "unknown In-Reply-To falls back to References",
			in:         Input{CompanyID: 1, InReplyTo: []string{"unknown@x.test"}, References: []string{"msg-1@cliente.com.br"}, Subject: "Re: x", From: "joao@cliente.com.br"},
			wantID:     10,
			wantMethod: MethodReferences,
		},
		{
			name:       "Message-IDs with stray brackets and spaces are trimmed",
			in:         Input{CompanyID: 1, InReplyTo: []string{"  <msg-1@cliente.com.br> "}, Subject: "Re: x", From: "joao@cliente.com.br"},
			wantID:     10,
			wantMethod: MethodInReplyTo,
		},
		{
			name:   "Message-IDs are compared exactly, not case-folded",
			in:     Input{CompanyID: 1, InReplyTo: []string{"case-sensitive@x.test"}, Subject: "Re: x", From: "a@b.test"},
			wantID: 0,
		},
		{
			name: "token when our Message-ID was rewritten by the sender's server",
			in: Input{CompanyID: 1, MessageID: "0100018c@eu-west-1.amazonses.com",
				InReplyTo:  []string{"0100018b-rewritten@eu-west-1.amazonses.com"},
				References: []string{"0100018b-rewritten@eu-west-1.amazonses.com"},
				Subject:    "RE: Pedido 55", From: "joao@cliente.com.br",
				Recipients: []string{"suporte+t-" + tokA + "@acme.com.br"}},
			wantID:     10,
			wantMethod: MethodReplyToken,
		},
		{
			name:       "token wins over headers",
			in:         Input{CompanyID: 1, InReplyTo: []string{"msg-1@cliente.com.br"}, Subject: "Re: x", From: "cliente@empresa.com", Recipients: []string{"suporte+t-" + tokB + "@acme.com.br"}},
			wantID:     30,
			wantMethod: MethodReplyToken,
		},
		{
			name: "token in Cc among other recipients, upper case, with display name",
			in: Input{CompanyID: 1, Subject: "Re: x", From: "ana@fornecedor.com",
				Recipients: []string{"joao@cliente.com.br", "Outro <outro@x.test>", "Suporte ACME <SUPORTE+T-" + strings.ToUpper(tokA) + "@ACME.COM.BR>"}},
			wantID:     10,
			wantMethod: MethodReplyToken,
		},
		{
			name:       "token with further plus detail",
			in:         Input{CompanyID: 1, Subject: "x", From: "a@b.test", Recipients: []string{"suporte+t-" + tokA + "+ext@acme.com.br"}},
			wantID:     10,
			wantMethod: MethodReplyToken,
		},
		{
			name:       "unknown token falls through to headers",
			in:         Input{CompanyID: 1, InReplyTo: []string{"msg-1@cliente.com.br"}, Subject: "Re: x", From: "joao@cliente.com.br", Recipients: []string{"suporte+t-zzzzzzzzzzzzzzzzzzzzzzzz@acme.com.br", "suporte+t-" + tokA + "@acme.com.br"}},
			wantID:     10,
			wantMethod: MethodReplyToken,
			check: func(t *testing.T, f *fakeIndex) {
				if want := []string{"zzzzzzzzzzzzzzzzzzzzzzzz", tokA}; !slices.Equal(f.askedTok, want) {
					t.Errorf("tokens asked = %q, want %q", f.askedTok, want)
				}
			},
		},
		{
			name:       "only unknown token: headers decide",
			in:         Input{CompanyID: 1, InReplyTo: []string{"msg-1@cliente.com.br"}, Subject: "Re: x", From: "joao@cliente.com.br", Recipients: []string{"suporte+t-zzzzzzzzzzzzzzzzzzzzzzzz@acme.com.br"}},
			wantID:     10,
			wantMethod: MethodInReplyTo,
		},
		{
			name: "malformed tokens are never looked up",
			in: Input{CompanyID: 1, Subject: "x", From: "a@b.test", Recipients: []string{
				"suporte+t-short@acme.com.br",                      // too short
				"suporte+t-abcdefghijklmnop!q@acme.com.br",         // bad character
				"suporte+t-@acme.com.br",                           // empty
				"suporte+t-" + tokA,                                // no domain
				"t-" + tokA + "@acme.com.br",                       // not plus detail
				"suporte+x-" + tokA + "@acme.com.br",               // wrong tag
				"suporte+t-" + strings.Repeat("a", 49) + "@acme.b", // too long
				"suporte+t_" + tokA + "@acme.com.br",               // wrong separator
			}},
			wantID: 0,
			check: func(t *testing.T, f *fakeIndex) {
				if len(f.askedTok) != 0 {
					t.Errorf("looked up malformed tokens %q", f.askedTok)
				}
			},
		},
		{
			name:       "subject tag from a participant, any case",
			in:         Input{CompanyID: 1, Subject: "Re: Pedido 55 [#1001]", From: "JOAO@Cliente.COM.br"},
			wantID:     10,
			wantMethod: MethodSubjectTag,
		},
		{
			name:   "subject tag from someone else at a participant's domain opens a new ticket",
			in:     Input{CompanyID: 1, Subject: "[#1001] Pedido 55", From: "pedro@cliente.com.br"},
			wantID: 0,
		},
		{
			name:       "subject tag from the contact on the ticket's channel",
			in:         Input{CompanyID: 1, ChannelID: 7, Subject: "Re: [#1001] Pedido 55", From: "joao@cliente.com.br"},
			wantID:     10,
			wantMethod: MethodSubjectTag,
		},
		{
			name:   "subject tag of a ticket of another channel opens a new ticket",
			in:     Input{CompanyID: 1, ChannelID: 8, Subject: "Re: [#1001] Pedido 55", From: "joao@cliente.com.br"},
			wantID: 0,
		},
		{
			name:       "subject tag from a stranger opens a new ticket",
			in:         Input{CompanyID: 1, Subject: "Re: Pedido 55 [#1001]", From: "curioso@outro.test"},
			wantID:     0,
			check:      wantAskedNum(1001),
			wantMethod: MethodNew,
		},
		{
			name:   "subject tag from a look-alike domain opens a new ticket",
			in:     Input{CompanyID: 1, Subject: "Re: [#1001]", From: "x@outracliente.com.br"},
			wantID: 0,
		},
		{
			name:   "subject tag from a subdomain of a participant's domain opens a new ticket",
			in:     Input{CompanyID: 1, Subject: "Re: [#1001]", From: "x@mail.cliente.com.br"},
			wantID: 0,
		},
		{
			name:   "subject tag from another gmail user on a gmail customer's ticket opens a new ticket",
			in:     Input{CompanyID: 1, Subject: "Re: [#1002]", From: "stranger@gmail.com"},
			wantID: 0,
		},
		{
			name:       "subject tag from the gmail customer herself",
			in:         Input{CompanyID: 1, Subject: "Re: [#1002]", From: "Maria@Gmail.com"},
			wantID:     20,
			wantMethod: MethodSubjectTag,
		},
		{
			name:   "subject tag of an unknown ticket number opens a new ticket",
			in:     Input{CompanyID: 1, Subject: "Re: [#4242]", From: "joao@cliente.com.br"},
			wantID: 0,
			check:  wantAskedNum(4242),
		},
		{
			name:   "subject tag without sender opens a new ticket",
			in:     Input{CompanyID: 1, Subject: "Re: [#1001]", From: ""},
			wantID: 0,
		},
		{
			name:       "headers win over subject tag",
			in:         Input{CompanyID: 1, InReplyTo: []string{"msg-2@gmail.com"}, Subject: "Re: [#1001]", From: "joao@cliente.com.br"},
			wantID:     20,
			wantMethod: MethodInReplyTo,
			check:      wantAskedNum(),
		},
		{
			name:    "forwarded message opens a new ticket even though its headers match",
			in:      Input{CompanyID: 1, MessageID: "f1@acme.com.br", InReplyTo: []string{"msg-1@cliente.com.br"}, References: []string{"msg-1@cliente.com.br", "out-1@atende.example"}, Subject: "Fwd: Pedido 55 [#1001]", From: "joao@cliente.com.br"},
			wantID:  0,
			wantFwd: true,
			check: func(t *testing.T, f *fakeIndex) {
				if len(f.askedIDs) != 0 || len(f.askedNum) != 0 {
					t.Errorf("forward looked up ids %q numbers %v", f.askedIDs, f.askedNum)
				}
			},
		},
		{
			name:    "forwarded in Portuguese (ENC:) opens a new ticket",
			in:      Input{CompanyID: 1, References: []string{"msg-1@cliente.com.br"}, Subject: "ENC: RES: Pedido 55", From: "agente@acme.com.br"},
			wantID:  0,
			wantFwd: true,
		},
		{
			name:    "forward behind a gateway label opens a new ticket",
			in:      Input{CompanyID: 1, InReplyTo: []string{"msg-1@cliente.com.br"}, Subject: "[EXTERNAL] FW: Pedido 55", From: "joao@cliente.com.br"},
			wantID:  0,
			wantFwd: true,
		},
		{
			name:       "forward to a tokenized reply address joins by token",
			in:         Input{CompanyID: 1, Subject: "Fwd: nota fiscal", From: "joao@cliente.com.br", Recipients: []string{"suporte+t-" + tokA + "@acme.com.br"}},
			wantID:     10,
			wantMethod: MethodReplyToken,
			wantFwd:    true,
		},
		{
			name:       "reply to a forward thread joins by headers",
			in:         Input{CompanyID: 1, InReplyTo: []string{"msg-1@cliente.com.br"}, Subject: "RES: ENC: Pedido 55", From: "joao@cliente.com.br"},
			wantID:     10,
			wantMethod: MethodInReplyTo,
		},
		{
			name:       "German reply to a forward joins by headers",
			in:         Input{CompanyID: 1, References: []string{"msg-1@cliente.com.br"}, Subject: "AW: WG: Bestellung", From: "joao@cliente.com.br"},
			wantID:     10,
			wantMethod: MethodReferences,
		},
		{
			name:   "same subject from a different sender opens a new ticket",
			in:     Input{CompanyID: 1, MessageID: "n1@outro.test", Subject: "Pedido 55", From: "outro@outro.test"},
			wantID: 0,
			check: func(t *testing.T, f *fakeIndex) {
				if len(f.askedIDs)+len(f.askedNum)+len(f.askedTok) != 0 {
					t.Errorf("a message without headers/tag/token caused lookups: %q %v %q", f.askedIDs, f.askedNum, f.askedTok)
				}
			},
		},
		{
			name:   "same Re: subject without headers from a different sender opens a new ticket",
			in:     Input{CompanyID: 1, Subject: "Re: Pedido 55", From: "outro@outro.test"},
			wantID: 0,
		},
		{
			name:   "empty Message-IDs never match (earlier message had none)",
			in:     Input{CompanyID: 1, MessageID: "", InReplyTo: []string{"", "  "}, References: []string{"", "<>", "\t"}, Subject: "Re: x", From: "cliente@empresa.com"},
			wantID: 0,
			check: func(t *testing.T, f *fakeIndex) {
				if len(f.askedIDs) != 0 {
					t.Errorf("looked up %q", f.askedIDs)
				}
			},
		},
		{
			name:   "self-reference is ignored",
			in:     Input{CompanyID: 1, MessageID: "loop@relay.example", InReplyTo: []string{"loop@relay.example"}, References: []string{"<loop@relay.example>"}, Subject: "Re: x", From: "a@b.test"},
			wantID: 0,
			check: func(t *testing.T, f *fakeIndex) {
				if slices.Contains(f.askedIDs, "loop@relay.example") {
					t.Errorf("looked up own Message-ID: %q", f.askedIDs)
				}
			},
		},
		{
			name:       "self-reference skipped, real parent still found",
			in:         Input{CompanyID: 1, MessageID: "loop@relay.example", InReplyTo: []string{"loop@relay.example"}, References: []string{"msg-1@cliente.com.br", "loop@relay.example"}, Subject: "Re: x", From: "joao@cliente.com.br"},
			wantID:     10,
			wantMethod: MethodReferences,
		},
		{
			name:   "only the newest MaxReferences references are looked up",
			in:     Input{CompanyID: 1, References: longRefs, Subject: "Re: x", From: "joao@cliente.com.br"},
			wantID: 0,
			check: func(t *testing.T, f *fakeIndex) {
				if len(f.askedIDs) != MaxReferences {
					t.Errorf("looked up %d ids, want %d", len(f.askedIDs), MaxReferences)
				}
			},
		},
		{
			name:       "duplicate ids are looked up once",
			in:         Input{CompanyID: 1, InReplyTo: []string{"msg-1@cliente.com.br"}, References: []string{"msg-1@cliente.com.br", "msg-1@cliente.com.br"}, Subject: "Re: x", From: "joao@cliente.com.br"},
			wantID:     10,
			wantMethod: MethodInReplyTo,
			check: func(t *testing.T, f *fakeIndex) {
				if want := []string{"msg-1@cliente.com.br"}; !slices.Equal(f.askedIDs, want) {
					t.Errorf("asked %q, want %q", f.askedIDs, want)
				}
			},
		},
		{
			name:       "lookups are per company: headers",
			in:         Input{CompanyID: 2, InReplyTo: []string{"msg-1@cliente.com.br"}, Subject: "Re: x", From: "joao@cliente.com.br"},
			wantID:     90,
			wantMethod: MethodInReplyTo,
		},
		{
			name:   "lookups are per company: another company's token",
			in:     Input{CompanyID: 1, Subject: "Re: x", From: "joao@cliente.com.br", Recipients: []string{"suporte+t-" + tokC + "@acme.com.br"}},
			wantID: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			got, err := Resolve(context.Background(), f, tc.in)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if got.Found != (tc.wantID != 0) || got.Ticket.ID != tc.wantID {
				t.Errorf("ticket = %d (found %v), want %d", got.Ticket.ID, got.Found, tc.wantID)
			}
			if got.Method != tc.wantMethod {
				t.Errorf("method = %q, want %q", got.Method, tc.wantMethod)
			}
			if got.Forwarded != tc.wantFwd {
				t.Errorf("forwarded = %v, want %v", got.Forwarded, tc.wantFwd)
			}
			if !got.Found && (got.Ticket.ID != 0 || got.Ticket.Number != 0 || got.Ticket.Participants != nil) {
				t.Errorf("new ticket result carries a ticket: %+v", got.Ticket)
			}
			if tc.check != nil {
				tc.check(t, f)
			}
		})
	}
}

func wantAskedNum(want ...int64) func(*testing.T, *fakeIndex) {
	return func(t *testing.T, f *fakeIndex) {
		t.Helper()
		if !slices.Equal(f.askedNum, want) {
			t.Errorf("numbers asked = %v, want %v", f.askedNum, want)
		}
	}
}

func TestResolveErrors(t *testing.T) {
	boom := errors.New("connection reset")
	tests := []struct {
		name    string
		in      Input
		err     error
		wantErr error
		wantMsg string
	}{
		{"zero company", Input{CompanyID: 0, InReplyTo: []string{"msg-1@cliente.com.br"}}, nil, ErrBadCompany, "company id"},
		{"negative company", Input{CompanyID: -3}, nil, ErrBadCompany, "company id"},
		{"token lookup fails", Input{CompanyID: 1, Recipients: []string{"s+t-" + tokA + "@x.test"}}, boom, boom, "thread: lookup reply token: connection reset"},
		{"message id lookup fails", Input{CompanyID: 1, InReplyTo: []string{"a@b"}}, boom, boom, "thread: lookup message ids: connection reset"},
		{"number lookup fails", Input{CompanyID: 1, Subject: "[#7]", From: "a@b.test"}, boom, boom, "thread: lookup ticket number 7: connection reset"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.err = tc.err
			got, err := Resolve(context.Background(), f, tc.in)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err = %q, want it to contain %q", err, tc.wantMsg)
			}
			if got.Found || got.Ticket.ID != 0 {
				t.Errorf("result on error = %+v", got)
			}
		})
	}
}

func TestSenderMayJoin(t *testing.T) {
	parts := []string{"joao@cliente.com.br", "maria@gmail.com"}
	tests := []struct {
		name string
		from string
		want bool
	}{
		{"participant", "joao@cliente.com.br", true},
		{"participant upper case with display name", "João <JOAO@CLIENTE.COM.BR>", true},
		{"same domain, not a participant", "pedro@cliente.com.br", false},
		{"free-mail participant", "maria@gmail.com", true},
		{"free-mail stranger", "joana@gmail.com", false},
		{"regional free-mail stranger", "x@hotmail.co.uk", false},
		{"look-alike domain", "x@outracliente.com.br", false},
		{"subdomain", "x@vendas.cliente.com.br", false},
		{"parent domain", "x@com.br", false},
		{"empty", "", false},
		{"no domain", "joao", false},
		{"bare domain", "@cliente.com.br", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := SenderMayJoin(tc.from, parts); got != tc.want {
				t.Errorf("SenderMayJoin(%q) = %v, want %v", tc.from, got, tc.want)
			}
		})
	}
	if SenderMayJoin("joao@cliente.com.br", nil) {
		t.Error("no participants must never allow joining")
	}
}

func TestIsFreeMailDomain(t *testing.T) {
	for d, want := range map[string]bool{
		"gmail.com": true, "GMAIL.COM": true, "uol.com.br": true, "hotmail.co.uk": true,
		"yahoo.com.ar": true, "outlook.pt": true, "gmail.com.": true,
		"cliente.com.br": false, "gmailer.com": false, "mygmail.com": false, "": false, "com": false,
	} {
		if got := IsFreeMailDomain(d); got != want {
			t.Errorf("IsFreeMailDomain(%q) = %v, want %v", d, got, want)
		}
	}
}
