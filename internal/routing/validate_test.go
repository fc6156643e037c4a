package routing

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	one := func(f Filter) func() Rule {
		return func() Rule { return Rule{DefaultTeamID: 1, Filters: []Filter{f}} }
	}
	tests := []struct {
		name string
		rule func() Rule
		want []FieldError // nil = valid
	}{
		{name: "realistic rule is valid", rule: rule},
		{name: "minimal rule is valid", rule: func() Rule { return Rule{DefaultTeamID: 3} }},
		{name: "trailing dot and spaces in a domain are fine", rule: one(Filter{Kind: SenderDomain, Value: " Empresa.COM.br. "})},
		{name: "unicode domain is fine", rule: one(Filter{Kind: SenderDomain, Value: "açaí.com.br"})},
		{name: "recipient with plus detail is fine", rule: one(Filter{Kind: RecipientAddress, Value: "vendas+sp@acme.com.br"})},
		{
			name: "missing default team",
			rule: func() Rule { return Rule{} },
			want: []FieldError{{"default_team_id", "required"}},
		},
		{
			name: "negative default team",
			rule: func() Rule { return Rule{DefaultTeamID: -1} },
			want: []FieldError{{"default_team_id", "must be a positive id"}},
		},
		{
			name: "initial message on without text",
			rule: func() Rule { return Rule{DefaultTeamID: 1, SendInitialMessage: true, InitialMessage: " \n "} },
			want: []FieldError{{"initial_message", "required when send_initial_message is on"}},
		},
		{
			name: "initial message too long",
			rule: func() Rule { return Rule{DefaultTeamID: 1, InitialMessage: strings.Repeat("á", MaxInitialMessage+1)} },
			want: []FieldError{{"initial_message", fmt.Sprintf("must be at most %d characters", MaxInitialMessage)}},
		},
		{
			name: "filter turns initial message on but rule has none",
			rule: one(Filter{Kind: SubjectContains, Value: "x", Action: Action{SendInitialMessage: ptr(true)}}),
			want: []FieldError{{"filters[0].action.send_initial_message", "the rule has no initial message"}},
		},
		{
			name: "filter turning initial message off needs no text",
			rule: one(Filter{Kind: SubjectContains, Value: "x", Action: Action{SendInitialMessage: ptr(false)}}),
		},
		{
			name: "unknown kind",
			rule: one(Filter{Kind: "sender_regex", Value: ".*"}),
			want: []FieldError{{"filters[0].kind", `unknown filter kind "sender_regex"`}},
		},
		{
			name: "missing kind",
			rule: one(Filter{Value: "x"}),
			want: []FieldError{{"filters[0].kind", "required"}},
		},
		{
			name: "empty value",
			rule: one(Filter{Kind: SubjectContains, Value: "   "}),
			want: []FieldError{{"filters[0].value", "must not be empty"}},
		},
		{
			name: "value of only accents",
			rule: one(Filter{Kind: BodyContains, Value: "\u0301\u0303"}),
			want: []FieldError{{"filters[0].value", "must contain a letter, digit or symbol, not only accents"}},
		},
		{
			name: "contains value too long",
			rule: one(Filter{Kind: BodyContains, Value: strings.Repeat("a", MaxValueLen+1)}),
			want: []FieldError{{"filters[0].value", fmt.Sprintf("must be at most %d characters", MaxValueLen)}},
		},
		{
			name: "sender address without @",
			rule: one(Filter{Kind: SenderAddress, Value: "joao.cliente.com"}),
			want: []FieldError{{"filters[0].value", "must be an email address"}},
		},
		{
			name: "sender address with display name",
			rule: one(Filter{Kind: SenderAddress, Value: "João <joao@cliente.com>"}),
			want: []FieldError{{"filters[0].value", "must be an email address"}},
		},
		{
			name: "recipient address with single-label domain",
			rule: one(Filter{Kind: RecipientAddress, Value: "vendas@localhost"}),
			want: []FieldError{{"filters[0].value", "must be an email address"}},
		},
		{
			name: "recipient address with IP literal",
			rule: one(Filter{Kind: RecipientAddress, Value: "vendas@[192.0.2.1]"}),
			want: []FieldError{{"filters[0].value", "must be an email address"}},
		},
		{
			name: "domain with @",
			rule: one(Filter{Kind: SenderDomain, Value: "@empresa.com.br"}),
			want: []FieldError{{"filters[0].value", "must be a domain name such as empresa.com.br, without @"}},
		},
		{
			name: "domain without dot",
			rule: one(Filter{Kind: SenderDomain, Value: "empresa"}),
			want: []FieldError{{"filters[0].value", "must be a domain name such as empresa.com.br"}},
		},
		{
			name: "domain with space",
			rule: one(Filter{Kind: SenderDomain, Value: "empresa .com"}),
			want: []FieldError{{"filters[0].value", "must be a domain name such as empresa.com.br"}},
		},
		{
			name: "domain with empty label",
			rule: one(Filter{Kind: SenderDomain, Value: "empresa..com"}),
			want: []FieldError{{"filters[0].value", "must be a domain name such as empresa.com.br"}},
		},
		{
			name: "domain label starting with hyphen",
			rule: one(Filter{Kind: SenderDomain, Value: "-empresa.com"}),
			want: []FieldError{{"filters[0].value", "must be a domain name such as empresa.com.br"}},
		},
		{
			name: "IP address as domain",
			rule: one(Filter{Kind: SenderDomain, Value: "192.0.2.1"}),
			want: []FieldError{{"filters[0].value", "must be a domain name such as empresa.com.br"}},
		},
		{
			name: "domain label too long",
			rule: one(Filter{Kind: SenderDomain, Value: strings.Repeat("a", 64) + ".com"}),
			want: []FieldError{{"filters[0].value", "must be a domain name such as empresa.com.br"}},
		},
		{
			name: "bad priority, negative ids, bad tags",
			rule: one(Filter{Kind: SubjectContains, Value: "x", Action: Action{TeamID: -2, AssigneeID: -3, Priority: "Urgent", Tags: []string{"ok", " ", strings.Repeat("t", MaxTagLen+1)}}}),
			want: []FieldError{
				{"filters[0].action.team_id", "must be a positive id, or 0 for the default team"},
				{"filters[0].action.assignee_id", "must be a positive id, or 0 for nobody"},
				{"filters[0].action.priority", `must be one of low, normal, high, urgent (got "Urgent")`},
				{"filters[0].action.tags[1]", "must not be empty"},
				{"filters[0].action.tags[2]", fmt.Sprintf("must be at most %d characters", MaxTagLen)},
			},
		},
		{
			name: "errors name the filter index",
			rule: func() Rule {
				r := rule()
				r.Filters[2].Value = "vendas"
				r.Filters[4].Action.Priority = "p1"
				return r
			},
			want: []FieldError{
				{"filters[2].value", "must be an email address"},
				{"filters[4].action.priority", `must be one of low, normal, high, urgent (got "p1")`},
			},
		},
		{
			name: "later duplicate never matches",
			rule: func() Rule {
				r := rule()
				r.Filters = append(r.Filters, Filter{Kind: SenderAddress, Value: "diretoria@cliente.com.br"})
				return r
			},
			want: []FieldError{{"filters[5].value", `never matches: filters[0] (sender_address "Diretoria@Cliente.com.br") always matches first`}},
		},
		{
			name: "subdomain after its domain never matches",
			rule: func() Rule {
				r := rule()
				r.Filters = append(r.Filters, Filter{Kind: SenderDomain, Value: "vendas.empresa.com.br"}, Filter{Kind: SenderAddress, Value: "ana@rh.empresa.com.br"})
				return r
			},
			want: []FieldError{
				{"filters[5].value", `never matches: filters[1] (sender_domain "empresa.com.br") always matches first`},
				{"filters[6].value", `never matches: filters[1] (sender_domain "empresa.com.br") always matches first`},
			},
		},
		{
			name: "longer phrase after shorter one never matches",
			rule: func() Rule {
				r := rule()
				r.Filters = append(r.Filters, Filter{Kind: SubjectContains, Value: "COTACAO urgente"}, Filter{Kind: BodyContains, Value: "cotação"})
				return r
			},
			want: []FieldError{{"filters[5].value", `never matches: filters[3] (subject_contains "Cotação") always matches first`}},
		},
		{
			name: "domain before its subdomain is fine the other way round",
			rule: func() Rule {
				return Rule{DefaultTeamID: 1, Filters: []Filter{
					{Kind: SenderDomain, Value: "vendas.empresa.com.br", Action: Action{TeamID: 2}},
					{Kind: SenderDomain, Value: "empresa.com.br", Action: Action{TeamID: 3}},
				}}
			},
		},
		{
			name: "too many filters",
			rule: func() Rule {
				r := Rule{DefaultTeamID: 1}
				for i := range MaxFilters + 1 {
					r.Filters = append(r.Filters, Filter{Kind: SenderAddress, Value: fmt.Sprintf("a%d@b.com", i)})
				}
				return r
			},
			want: []FieldError{{"filters", fmt.Sprintf("at most %d filters", MaxFilters)}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.rule().Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ve ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %v (%T), want ValidationError", err, err)
			}
			if len(ve) != len(tc.want) {
				t.Fatalf("Validate() =\n %q\nwant\n %q", ve, tc.want)
			}
			for i := range ve {
				if ve[i] != tc.want[i] {
					t.Errorf("error %d = %q, want %q", i, ve[i], tc.want[i])
				}
			}
		})
	}
}

func TestValidationErrorMessage(t *testing.T) {
	err := Rule{Filters: []Filter{{Kind: SenderAddress, Value: "x"}}}.Validate()
	want := "routing: invalid rule: default_team_id: required; filters[0].value: must be an email address"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	fe := FieldError{Field: "filters[2].value", Message: "must be an email address"}
	if fe.Error() != "filters[2].value: must be an email address" {
		t.Errorf("FieldError.Error() = %q", fe.Error())
	}
}
