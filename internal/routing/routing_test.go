package routing

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/transform"
)

func ptr(b bool) *bool { return &b }

// rule is a realistic channel rule: default team 1, initial message on, and
// one filter of each kind.
func rule() Rule {
	return Rule{
		DefaultTeamID:      1,
		SendInitialMessage: true,
		InitialMessage:     "Recebemos sua mensagem e responderemos em breve.",
		Filters: []Filter{
			{Kind: SenderAddress, Value: "Diretoria@Cliente.com.br", Action: Action{TeamID: 2, AssigneeID: 7, Priority: PriorityUrgent, Tags: []string{"vip"}}},
			{Kind: SenderDomain, Value: "empresa.com.br", Action: Action{TeamID: 3, Tags: []string{"empresa", " contrato ", "EMPRESA"}}},
			{Kind: RecipientAddress, Value: "vendas@acme.com.br", Action: Action{TeamID: 4, Priority: PriorityHigh, SendInitialMessage: ptr(false)}},
			{Kind: SubjectContains, Value: "Cotação", Action: Action{TeamID: 5, Priority: PriorityLow}},
			{Kind: BodyContains, Value: "nota fiscal", Action: Action{AssigneeID: 9, SendInitialMessage: ptr(true)}},
		},
	}
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name string
		rule func() Rule
		in   Input
		want Decision
	}{
		{
			name: "no filters: default team",
			rule: func() Rule { return Rule{DefaultTeamID: 1, SendInitialMessage: true, InitialMessage: "Olá"} },
			in:   Input{From: "a@b.com", Subject: "Oi"},
			want: Decision{TeamID: 1, Priority: PriorityNormal, SendInitialMessage: true, MatchedFilter: -1},
		},
		{
			name: "no filter matches: default team",
			rule: rule,
			in:   Input{From: "joana@outro.com", Recipients: []string{"suporte@acme.com.br"}, Subject: "Dúvida", Body: "Olá"},
			want: Decision{TeamID: 1, Priority: PriorityNormal, SendInitialMessage: true, MatchedFilter: -1},
		},
		{
			name: "sender_address match, any case, with display name",
			rule: rule,
			in:   Input{From: "Diretoria <DIRETORIA@cliente.COM.BR>", Subject: "x"},
			want: Decision{TeamID: 2, AssigneeID: 7, Priority: PriorityUrgent, Tags: []string{"vip"}, SendInitialMessage: true, MatchedFilter: 0},
		},
		{
			name: "sender_address non-match: other mailbox same domain",
			rule: rule,
			in:   Input{From: "financeiro@cliente.com.br"},
			want: Decision{TeamID: 1, Priority: PriorityNormal, SendInitialMessage: true, MatchedFilter: -1},
		},
		{
			name: "sender_address non-match: plus detail is significant for senders",
			rule: rule,
			in:   Input{From: "diretoria+x@cliente.com.br"},
			want: Decision{TeamID: 1, Priority: PriorityNormal, SendInitialMessage: true, MatchedFilter: -1},
		},
		{
			name: "sender_domain match: exact domain; tags cleaned",
			rule: rule,
			in:   Input{From: "ana@EMPRESA.com.br"},
			want: Decision{TeamID: 3, Priority: PriorityNormal, Tags: []string{"empresa", "contrato"}, SendInitialMessage: true, MatchedFilter: 1},
		},
		{
			name: "sender_domain match: subdomain",
			rule: rule,
			in:   Input{From: "x@vendas.empresa.com.br"},
			want: Decision{TeamID: 3, Priority: PriorityNormal, Tags: []string{"empresa", "contrato"}, SendInitialMessage: true, MatchedFilter: 1},
		},
		{
			name: "sender_domain non-match: look-alike domain",
			rule: rule,
			in:   Input{From: "x@outraempresa.com.br"},
			want: Decision{TeamID: 1, Priority: PriorityNormal, SendInitialMessage: true, MatchedFilter: -1},
		},
		{
			name: "sender_domain non-match: parent domain",
			rule: rule,
			in:   Input{From: "x@com.br"},
			want: Decision{TeamID: 1, Priority: PriorityNormal, SendInitialMessage: true, MatchedFilter: -1},
		},
		{
			name: "sender_domain non-match: domain only in the local part",
			rule: rule,
			in:   Input{From: "empresa.com.br@evil.com"},
			want: Decision{TeamID: 1, Priority: PriorityNormal, SendInitialMessage: true, MatchedFilter: -1},
		},
		{
			name: "recipient_address match in Cc, plus detail ignored, override initial message off",
			rule: rule,
			in:   Input{From: "a@b.com", Recipients: []string{"suporte@acme.com.br", "Vendas <VENDAS+sp@acme.com.br>"}},
			want: Decision{TeamID: 4, Priority: PriorityHigh, SendInitialMessage: false, MatchedFilter: 2},
		},
		{
			name: "recipient_address non-match: other domain",
			rule: rule,
			in:   Input{From: "a@b.com", Recipients: []string{"vendas@acme.com"}},
			want: Decision{TeamID: 1, Priority: PriorityNormal, SendInitialMessage: true, MatchedFilter: -1},
		},
		{
			name: "subject_contains match, accent- and case-insensitive",
			rule: rule,
			in:   Input{From: "a@b.com", Subject: "Re: COTACAO de frete"},
			want: Decision{TeamID: 5, Priority: PriorityLow, SendInitialMessage: true, MatchedFilter: 3},
		},
		{
			name: "subject_contains match, decomposed accents in the subject",
			rule: rule,
			in:   Input{From: "a@b.com", Subject: "nova cotac\u0327a\u0303o"},
			want: Decision{TeamID: 5, Priority: PriorityLow, SendInitialMessage: true, MatchedFilter: 3},
		},
		{
			name: "subject_contains non-match",
			rule: rule,
			in:   Input{From: "a@b.com", Subject: "Cota de frete"},
			want: Decision{TeamID: 1, Priority: PriorityNormal, SendInitialMessage: true, MatchedFilter: -1},
		},
		{
			name: "subject_contains ignores the body",
			rule: rule,
			in:   Input{From: "a@b.com", Subject: "x", Body: "segue cotação"},
			want: Decision{TeamID: 1, Priority: PriorityNormal, SendInitialMessage: true, MatchedFilter: -1},
		},
		{
			name: "body_contains match across a line break; keeps default team; override initial message on",
			rule: func() Rule { r := rule(); r.SendInitialMessage = false; return r },
			in:   Input{From: "a@b.com", Subject: "x", Body: "Segue a NOTA\r\n  FISCAL em anexo."},
			want: Decision{TeamID: 1, AssigneeID: 9, Priority: PriorityNormal, SendInitialMessage: true, MatchedFilter: 4},
		},
		{
			name: "body_contains non-match",
			rule: rule,
			in:   Input{From: "a@b.com", Subject: "x", Body: "nota: fiscalizar"},
			want: Decision{TeamID: 1, Priority: PriorityNormal, SendInitialMessage: true, MatchedFilter: -1},
		},
		{
			name: "first match wins: sender domain before subject",
			rule: rule,
			in:   Input{From: "ana@empresa.com.br", Subject: "Cotação", Body: "nota fiscal", Recipients: []string{"vendas@acme.com.br"}},
			want: Decision{TeamID: 3, Priority: PriorityNormal, Tags: []string{"empresa", "contrato"}, SendInitialMessage: true, MatchedFilter: 1},
		},
		{
			name: "first match wins: reordered filters",
			rule: func() Rule {
				r := rule()
				slices.Reverse(r.Filters)
				return r
			},
			in:   Input{From: "ana@empresa.com.br", Subject: "Cotação", Body: "nota fiscal"},
			want: Decision{TeamID: 1, AssigneeID: 9, Priority: PriorityNormal, SendInitialMessage: true, MatchedFilter: 0},
		},
		{
			name: "no initial message text: never send",
			rule: func() Rule { r := rule(); r.InitialMessage = "  "; return r },
			in:   Input{From: "x@b.com", Body: "nota fiscal"},
			want: Decision{TeamID: 1, AssigneeID: 9, Priority: PriorityNormal, SendInitialMessage: false, MatchedFilter: 4},
		},
		{
			name: "invalid filters are skipped",
			rule: func() Rule {
				return Rule{DefaultTeamID: 1, Filters: []Filter{
					{Kind: "sender_regex", Value: ".*", Action: Action{TeamID: 8}},
					{Kind: SubjectContains, Value: "\u0301\u0303", Action: Action{TeamID: 8}}, // only accents: would match all
					{Kind: SubjectContains, Value: "  ", Action: Action{TeamID: 8}},
					{Kind: SenderDomain, Value: "b.com", Action: Action{TeamID: 8, Priority: "critical"}},
					{Kind: SenderDomain, Value: "b.com", Action: Action{TeamID: 6}},
				}}
			},
			in:   Input{From: "x@b.com", Subject: "qualquer"},
			want: Decision{TeamID: 6, Priority: PriorityNormal, MatchedFilter: 4},
		},
		{
			name: "internationalized domain matches its punycode form",
			rule: func() Rule {
				return Rule{DefaultTeamID: 1, Filters: []Filter{{Kind: SenderDomain, Value: "açaí.com.br", Action: Action{TeamID: 2}}}}
			},
			in:   Input{From: "x@loja.xn--aa-4iaz.com.br"},
			want: Decision{TeamID: 2, Priority: PriorityNormal, MatchedFilter: 0},
		},
		{
			name: "empty sender matches no sender filter",
			rule: rule,
			in:   Input{From: ""},
			want: Decision{TeamID: 1, Priority: PriorityNormal, SendInitialMessage: true, MatchedFilter: -1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.rule()
			got := Evaluate(r, tc.in)
			if got.TeamID != tc.want.TeamID || got.AssigneeID != tc.want.AssigneeID || got.Priority != tc.want.Priority ||
				got.SendInitialMessage != tc.want.SendInitialMessage || got.MatchedFilter != tc.want.MatchedFilter ||
				!slices.Equal(got.Tags, tc.want.Tags) {
				t.Errorf("Evaluate =\n %+v\nwant\n %+v", got, tc.want)
			}
			if len(got.Tags) > 0 && got.MatchedFilter >= 0 {
				got.Tags[0] = "mutated"
				if slices.Contains(r.Filters[got.MatchedFilter].Action.Tags, "mutated") {
					t.Error("Decision.Tags aliases the rule's tags")
				}
			}
		})
	}
}

func TestEvaluateBodyLimit(t *testing.T) {
	r := Rule{DefaultTeamID: 1, Filters: []Filter{{Kind: BodyContains, Value: "boleto", Action: Action{TeamID: 2}}}}
	head := strings.Repeat("ção ", MaxBodyBytes/len("ção "))
	if d := Evaluate(r, Input{Body: head[:MaxBodyBytes-100] + "boleto"}); d.MatchedFilter != 0 {
		t.Errorf("word inside the limit not found: %+v", d)
	}
	if d := Evaluate(r, Input{Body: head + "boleto"}); d.MatchedFilter != -1 {
		t.Errorf("word beyond MaxBodyBytes found: %+v", d)
	}
}

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Cotação", "cotacao"},
		{"COTAÇÃO", "cotacao"},
		{"cotac\u0327a\u0303o", "cotacao"},
		{"Ação  Urgente\n\tJá", "acao urgente ja"},
		{"Straße", "strasse"},
		{"İstanbul", "istanbul"},
		{"ｃｏｔａｃａｏ", "cotacao"},
		{"ﬁscal", "fiscal"},
		{"Ñandú", "nandu"},
		{"ℂotação", "cotacao"},
		{"\u0301", ""},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := Fold(tc.in); got != tc.want {
				t.Errorf("Fold(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestFoldMatchesWholeStringTransform checks Fold's ASCII fast path against
// running the transformers over the whole string.
func TestFoldMatchesWholeStringTransform(t *testing.T) {
	inputs := []string{
		"Cotação URGENTE", "cotac\u0327a\u0303o", "AÇÃO", "A\u0301B\u0301C", "İstanbul İ", "Straße STRASSE",
		"ℂotação", "ｃｏｔａｃａｏ ＡＢ", "ﬁ ﬂ ǅ", "Ⅻ ⅻ", "Ωμέγα ΣΊΣΥΦΟΣ", "Ελληνικά ς", "ǰ", "\u00a0a\u2003b\u3000c",
		"日本語テキスト", "\xff\xfe invalid \xc3", "e\u0301\u0301\u0301x", "Ñ\u0303", "ℌ𝔄𝔅", "x\u0345y",
	}
	for _, in := range inputs {
		ref, _, err := transform.String(foldTransformer(), in)
		if err != nil {
			t.Fatalf("reference transform of %q: %v", in, err)
		}
		ref = strings.Join(strings.Fields(ref), " ")
		if got := Fold(in); got != ref {
			t.Errorf("Fold(%q) = %q, whole-string transform = %q", in, got, ref)
		}
	}
}
