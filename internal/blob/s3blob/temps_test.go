package s3blob_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// A node killed in the middle of a large Put leaves an unfinished
// multipart upload (parts stored and billed, invisible to List) or a
// completed temporary object under tmp/. RemoveStaleTemps removes those
// older than the cutoff, says what it found, removes nothing in a dry
// run, and leaves blobs and younger temporaries alone.
func TestRemoveStaleTemps(t *testing.T) {
	st, _ := newStore(t)
	c := st.Client()
	bucket, prefix := st.Bucket()
	// What a crash leaves: an upload with one part, and a completed
	// temporary object (killed between CompleteMultipartUpload and the
	// copy).
	upKey := prefix + "tmp/crashed-upload"
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &upKey})
	if err != nil {
		t.Fatal(err)
	}
	part := randomBytes(64<<10, 3)
	if _, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: &upKey, UploadId: up.UploadId, PartNumber: aws.Int32(1),
		Body: bytes.NewReader(part), ContentLength: aws.Int64(int64(len(part)))}); err != nil {
		t.Fatal(err)
	}
	objKey := prefix + "tmp/crashed-copy"
	obj := randomBytes(1000, 4)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &objKey, Body: bytes.NewReader(obj)}); err != nil {
		t.Fatal(err)
	}
	blobKey, _, err := st.Put(ctx, bytes.NewReader([]byte("a stored blob")), 0)
	if err != nil {
		t.Fatal(err)
	}
	uploads := func() int {
		t.Helper()
		out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket, Prefix: aws.String(prefix + "tmp/")})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Uploads)
	}
	tmpObjects := func() int {
		t.Helper()
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String(prefix + "tmp/")})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Contents)
	}
	if uploads() != 1 || tmpObjects() != 1 {
		t.Fatalf("set-up: %d uploads, %d temporary objects", uploads(), tmpObjects())
	}

	// Younger than the cutoff (an upload in progress): kept.
	r, err := st.RemoveStaleTemps(ctx, time.Now().Add(-time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	if r.Objects != 0 || r.Uploads != 0 || uploads() != 1 || tmpObjects() != 1 {
		t.Fatalf("young temporaries removed: %+v", r)
	}
	// Dry run: found, not removed.
	later := time.Now().Add(time.Minute)
	r, err = st.RemoveStaleTemps(ctx, later, true)
	if err != nil {
		t.Fatal(err)
	}
	if r.Objects != 1 || r.Bytes != int64(len(obj)) || r.Uploads != 1 || uploads() != 1 || tmpObjects() != 1 {
		t.Fatalf("dry run: %+v, then %d uploads, %d objects", r, uploads(), tmpObjects())
	}
	r, err = st.RemoveStaleTemps(ctx, later, false)
	if err != nil {
		t.Fatal(err)
	}
	if r.Objects != 1 || r.Uploads != 1 {
		t.Fatalf("removed %+v", r)
	}
	if n, m := uploads(), tmpObjects(); n != 0 || m != 0 {
		t.Fatalf("left %d uploads, %d temporary objects", n, m)
	}
	if got := readAll(t, st, blobKey); string(got) != "a stored blob" {
		t.Fatalf("the stored blob reads %q", got)
	}
	// Again: nothing left to do.
	if r, err := st.RemoveStaleTemps(ctx, later, false); err != nil || r.Objects != 0 || r.Uploads != 0 {
		t.Fatalf("second run: %+v %v", r, err)
	}
}
