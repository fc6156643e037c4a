package secrets

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
)

func TestSealOpen(t *testing.T) {
	box, err := NewBox(NewKey())
	if err != nil {
		t.Fatal(err)
	}
	ad := AD(1, 2, IMAPPassword)
	pt := []byte("app-password 123")
	c1, err := box.Seal(pt, ad)
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := box.Seal(pt, ad)
	if bytes.Equal(c1, c2) {
		t.Fatal("two seals of the same value are equal: nonce reused")
	}
	if bytes.Contains(c1, pt) {
		t.Fatal("ciphertext contains plaintext")
	}
	got, err := box.Open(c1, ad)
	if err != nil || string(got) != string(pt) {
		t.Fatalf("open = %q, %v", got, err)
	}
	other, _ := NewBox(NewKey())
	tampered := append([]byte(nil), c1...)
	tampered[len(tampered)-1] ^= 1
	cases := []struct {
		name   string
		box    *Box
		sealed []byte
		ad     []byte
	}{
		{"other company", box, c1, AD(9, 2, IMAPPassword)},
		{"other channel", box, c1, AD(1, 3, IMAPPassword)},
		{"other name", box, c1, AD(1, 2, SMTPPassword)},
		{"other key", other, c1, ad},
		{"tampered", box, tampered, ad},
		{"truncated", box, c1[:10], ad},
		{"bad version", box, append([]byte{7}, c1[1:]...), ad},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.box.Open(tc.sealed, tc.ad); !errors.Is(err, ErrOpen) {
				t.Fatalf("err = %v, want ErrOpen", err)
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	k := NewKey()
	cases := []struct {
		name string
		in   string
		ok   bool
	}{
		{"std", base64.StdEncoding.EncodeToString(k), true},
		{"raw url", base64.RawURLEncoding.EncodeToString(k), true},
		{"spaces", "  " + base64.StdEncoding.EncodeToString(k) + "\n", true},
		{"short", base64.StdEncoding.EncodeToString(k[:16]), false},
		{"empty", "", false},
		{"garbage", "%%%not base64%%%", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseKey(tc.in)
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && !bytes.Equal(got, k) {
				t.Fatal("key differs")
			}
		})
	}
	if _, err := NewBox(make([]byte, 16)); !errors.Is(err, ErrKey) {
		t.Fatalf("16-byte key: %v", err)
	}
}
