package main

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"strings"

	"golang.org/x/text/encoding"
)

// crlf turns "\n" line endings into "\r\n".
func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// enc returns s encoded in e (as a Go string holding the raw bytes).
func enc(e encoding.Encoding, s string) string {
	b, err := e.NewEncoder().String(s)
	if err != nil {
		panic(fmt.Sprintf("encode %q: %v", s, err))
	}
	return b
}

// qp quoted-printable encodes raw bytes.
func qp(raw string) string {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(strings.ReplaceAll(raw, "\n", "\r\n")))
	w.Close()
	return b.String()
}

// b64 base64 encodes raw bytes in 76-character lines.
func b64(raw string) string {
	s := base64.StdEncoding.EncodeToString([]byte(raw))
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\n")
		s = s[76:]
	}
	b.WriteString(s + "\n")
	return b.String()
}

// qword makes a Q encoded word from raw bytes in charset cs.
func qword(cs, raw string) string {
	var b strings.Builder
	b.WriteString("=?" + cs + "?Q?")
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == ' ':
			b.WriteByte('_')
		case c >= 0x80 || c == '=' || c == '?' || c == '_' || c < 0x20:
			fmt.Fprintf(&b, "=%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteString("?=")
	return b.String()
}

// bword makes a B encoded word from raw bytes in charset cs.
func bword(cs, raw string) string {
	return "=?" + cs + "?B?" + base64.StdEncoding.EncodeToString([]byte(raw)) + "?="
}

func utf8Q(s string) string { return mime.QEncoding.Encode("utf-8", s) }
func utf8B(s string) string { return mime.BEncoding.Encode("utf-8", s) }

// tinyPNG is a valid 1x1 PNG.
var tinyPNG = string([]byte{
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
	0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
	0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
	0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
})

const tinyPDF = "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

func zipOf(name, content string) string {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, _ := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
	f.Write([]byte(content))
	w.Close()
	return b.String()
}

func gzipOf(content string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(content))
	w.Close()
	return b.String()
}

// fakeTNEF is a short TNEF stream: the signature, a key and one attribute.
var fakeTNEF = string([]byte{0x78, 0x9f, 0x3e, 0x22, 0x01, 0x00, 0x01, 0x06, 0x90, 0x08, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x07, 0x90, 0x06, 0x00, 0x08, 0x00, 0x00, 0x00, 0xe4, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe8, 0x00})

func b64One(raw string) string { return base64.StdEncoding.EncodeToString([]byte(raw)) }
