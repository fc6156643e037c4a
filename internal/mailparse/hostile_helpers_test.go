package mailparse

import (
	"archive/zip"
	"bytes"
	"testing"
)

// zipOfBytes returns a zip holding one file of n zero bytes.
func zipOfBytes(t *testing.T, name string, n int) string {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, err := w.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(make([]byte, n))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
