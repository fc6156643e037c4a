package ingest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/testutil/mailmix"
)

// attachmentMail is a message from Outlook's mould: text, HTML with an
// inline signature logo (cid), and the given attached files.
func attachmentMail(msgID string, logo []byte, files map[string][]byte, order []string) []byte {
	var b bytes.Buffer
	b64 := mailmix.Base64Lines
	fmt.Fprintf(&b, "From: Marta Lima <marta@cliente.test>\r\nTo: suporte@acme.test\r\nSubject: Nota e comprovante\r\nMessage-ID: <%s>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n"+
		"--mix\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n"+
		"--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Segue a nota.</p><p><img src=\"cid:logo@cliente\"> Marta</p>\r\n"+
		"--rel\r\nContent-Type: image/png; name=\"logo.png\"\r\nContent-ID: <logo@cliente>\r\nContent-Disposition: inline; filename=\"logo.png\"\r\n"+
		"Content-Transfer-Encoding: base64\r\n\r\n%s--rel--\r\n", msgID, b64(logo))
	for _, name := range order {
		fmt.Fprintf(&b, "--mix\r\nContent-Type: application/octet-stream; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\n"+
			"Content-Transfer-Encoding: base64\r\n\r\n%s", name, name, b64(files[name]))
	}
	b.WriteString("--mix--\r\n")
	return b.Bytes()
}

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(r.Uint32())
	}
	return out
}

// TestSmallAttachmentsKeptInDatabase: a message's small attachments (a
// signature logo, a small file) are kept in the database by the message's
// own transaction, a large one is a blob file, and no more than a
// message's share (256 KiB) is kept in the database; every attachment
// reads back byte for byte through the blob readers, on both databases.
func TestSmallAttachmentsKeptInDatabase(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		logo := randomBytes(1, 6<<10)
		files := map[string][]byte{"comprovante.pdf": randomBytes(2, 30<<10), "planilha.xlsx": randomBytes(3, 200<<10)}
		for i := 0; i < 5; i++ {
			files[fmt.Sprintf("foto-%d.jpg", i)] = randomBytes(uint64(10+i), 60<<10)
		}
		order := []string{"comprovante.pdf", "planilha.xlsx", "foto-0.jpg", "foto-1.jpg", "foto-2.jpg", "foto-3.jpg", "foto-4.jpg"}
		res := e.accept(t, "smtp:att", attachmentMail("att-1@cliente.test", logo, files, order))
		e.drain(t)
		in, err := e.st.GetInbound(ctx, e.co.ID, res.InboundID)
		if err != nil || in.State != model.InboundDone {
			t.Fatalf("row: %+v %v", in, err)
		}
		atts, err := e.st.ListAttachments(ctx, e.co.ID, in.MessageID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]byte{"logo.png": logo}
		for k, v := range files {
			want[k] = v
		}
		if len(atts) != len(want) {
			t.Fatalf("%d attachments, want %d", len(atts), len(want))
		}
		inDB, inFiles := 0, 0
		dbBytes := 0
		for _, a := range atts {
			data, ok := want[a.Filename]
			if !ok {
				t.Fatalf("unexpected attachment %q", a.Filename)
			}
			sum := sha256.Sum256(data)
			if a.BlobKey != "sha256/"+hex.EncodeToString(sum[:]) || a.Size != int64(len(data)) {
				t.Fatalf("%s: key %s size %d", a.Filename, a.BlobKey, a.Size)
			}
			rc, err := e.blobs.Open(ctx, a.BlobKey)
			if err != nil {
				t.Fatalf("%s: %v", a.Filename, err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.Equal(got, data) {
				t.Fatalf("%s: content differs", a.Filename)
			}
			file, _ := e.bl.Exists(ctx, a.BlobKey)
			_, dbErr := e.st.GetInlineBlob(ctx, a.BlobKey)
			switch {
			case file && dbErr != nil:
				inFiles++
			case !file && dbErr == nil:
				inDB++
				dbBytes += len(data)
			default:
				t.Fatalf("%s: file %v, database %v", a.Filename, file, dbErr)
			}
			if len(data) > 64<<10 && !file {
				t.Fatalf("%s (%d bytes) kept in the database", a.Filename, len(data))
			}
		}
		// The logo (6 KB), the 30 KB receipt and three 60 KB photos fit
		// the message's 256 KiB share; the 200 KB sheet and two photos
		// are files.
		if inDB != 5 || inFiles != 3 || dbBytes > 256<<10 {
			t.Fatalf("in the database %d (%d bytes), files %d", inDB, dbBytes, inFiles)
		}
	})
}
