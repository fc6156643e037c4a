package thread

import "testing"

func TestSubjectTag(t *testing.T) {
	tests := []struct {
		name string
		n    int64
		want string
	}{
		{"typical", 1234, "[#1234]"},
		{"one", 1, "[#1]"},
		{"max int64", 9223372036854775807, ""}, // 19 digits: not representable as a tag
		{"large", 999999999999999999, "[#999999999999999999]"},
		{"zero", 0, ""},
		{"negative", -5, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := SubjectTag(tc.n)
			if got != tc.want {
				t.Errorf("SubjectTag(%d) = %q, want %q", tc.n, got, tc.want)
			}
			if got != "" {
				if n, ok := TagFromSubject("Re: x " + got); !ok || n != tc.n {
					t.Errorf("round trip = %d, %v", n, ok)
				}
			}
		})
	}
}

func TestTagFromSubject(t *testing.T) {
	tests := []struct {
		name   string
		subj   string
		want   int64
		wantOK bool
	}{
		{"suffix", "Pedido 55 [#1234]", 1234, true},
		{"prefix", "[#1234] Pedido 55", 1234, true},
		{"after Re", "Re: [#1234] Pedido", 1234, true},
		{"after Fwd and RES", "Fwd: RES: Pedido [#77]", 77, true},
		{"after another system's tag", "[EXT] [rt.example #99] Re: x [#5]", 5, true},
		{"first of two", "[#12] Re: [#34]", 12, true},
		{"no tag", "Pedido 55", 0, false},
		{"hash number without brackets", "Pedido #1234", 0, false},
		{"Ticket# form is not ours", "Ticket#1234 Pedido", 0, false},
		{"space inside", "[# 1234]", 0, false},
		{"leading zero", "[#01234]", 0, false},
		{"zero", "[#0]", 0, false},
		{"negative", "[#-5]", 0, false},
		{"letters", "[#12a]", 0, false},
		{"too long for int64", "[#12345678901234567890]", 0, false},
		{"nineteen digits", "[#1234567890123456789]", 0, false},
		{"unclosed", "[#1234", 0, false},
		{"nested junk", "[#[#1]]", 1, true},
		{"empty", "", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := TagFromSubject(tc.subj)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("TagFromSubject(%q) = %d, %v; want %d, %v", tc.subj, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestNormalizeSubject(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain", "Pedido 55", "Pedido 55"},
		{"Re", "Re: Pedido 55", "Pedido 55"},
		{"repeated mixed case", "RE: re: Re:Pedido 55", "Pedido 55"},
		{"Portuguese", "RES: ENC: Encaminhada: Cotação", "Cotação"},
		{"German", "AW: WG: Bestellung", "Bestellung"},
		{"French spaced colon", "TR : RE : Commande", "Commande"},
		{"Scandinavian and Spanish", "SV: RV: Pedido", "Pedido"},
		{"Italian", "R: I: Ordine", "Ordine"},
		{"Fw and Fwd", "FW: Fwd: x", "x"},
		{"counter", "Re[2]: Re(3): x", "x"},
		{"full-width colon", "Re：件名", "件名"},
		{"our tag anywhere", "Re: [#1234] Pedido 55 [#1234]", "Pedido 55"},
		{"tag before prefix", "[#12] Re: Pedido", "Pedido"},
		{"white space", "  Re:\t Pedido \n 55  ", "Pedido 55"},
		{"word starting like a prefix is kept", "Resposta do pedido", "Resposta do pedido"},
		{"Reunião is not Re:", "Reunião: pauta", "Reunião: pauta"},
		{"prefix without colon kept", "Re Pedido", "Re Pedido"},
		{"other tags kept", "[EXT] Re: x", "[EXT] Re: x"},
		{"Ticket# kept", "Ticket#12 x", "Ticket#12 x"},
		{"only prefixes", "Re: Fwd:", ""},
		{"tag split by tag", "[#[#1]1] x", "[# 1] x"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := NormalizeSubject(tc.in)
			if got != tc.want {
				t.Errorf("NormalizeSubject(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if again := NormalizeSubject(got); again != got {
				t.Errorf("not idempotent: %q -> %q", got, again)
			}
		})
	}
}

func TestIsForward(t *testing.T) {
	tests := []struct {
		subj string
		want bool
	}{
		{"Fwd: x", true},
		{"FWD: x", true},
		{"Fw: x", true},
		{"FW : x", true},
		{"Enc: x", true},
		{"ENC: RES: x", true},
		{"Encaminhada: x", true},
		{"TR: x", true},
		{"WG: x", true},
		{"RV: x", true},
		{"I: x", true},
		{"Fwd[2]: x", true},
		{"[#12] Fwd: x", true},
		{"[EXTERNAL] FW: x", true},
		{"[Fwd: x]", true},
		{"  fwd:x", true},
		{"Re: Fwd: x", false},
		{"RES: ENC: x", false},
		{"AW: WG: x", false},
		{"R: I: x", false},
		{"Forward planning", false},
		{"Encontro: sexta", false},
		{"Fwd x", false},
		{"[EXTERNAL] Re: FW: x", false},
		{"x", false},
		{"", false},
	}
	for _, tc := range tests {
		t.Run(tc.subj, func(t *testing.T) {
			if got := IsForward(tc.subj); got != tc.want {
				t.Errorf("IsForward(%q) = %v, want %v", tc.subj, got, tc.want)
			}
		})
	}
}
