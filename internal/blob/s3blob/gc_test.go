package s3blob_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/blob/s3blob"
	"github.com/atende-helpdesk/atende/internal/testutil/s3test"
)

// Storing content again that is older than TouchAfter writes it again,
// so its LastModified moves on (garbage collection spares it); within
// TouchAfter it is left as it is. Small (one PutObject) and large
// (multipart, then copied) blobs alike. List pages through the bucket
// with the times, and RemoveIfOlder deletes only what is older.
func TestRePutRefreshesLastModified(t *testing.T) {
	srv := s3test.Start(t)
	c := srv.Config()
	c.PartSize = 5 << 20
	c.ListPage = 1
	c.TouchAfter = 3 * time.Second // a re-put right after is well within it, at second precision
	st, err := s3blob.New(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	mods := func() map[string]time.Time {
		t.Helper()
		m := map[string]time.Time{}
		if err := st.List(ctx, func(key string, size int64, modified time.Time) error { m[key] = modified; return nil }); err != nil {
			t.Fatal(err)
		}
		return m
	}
	small, large := []byte("a small blob"), randomBytes(5<<20+10, 7)
	put := func() {
		t.Helper()
		for _, d := range [][]byte{small, large} {
			if _, _, err := st.Put(ctx, bytes.NewReader(d), 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	put()
	first := mods()
	if len(first) != 2 {
		t.Fatalf("listed %v", first)
	}
	put() // within TouchAfter: nothing written
	if again := mods(); !again[keyOf(small)].Equal(first[keyOf(small)]) || !again[keyOf(large)].Equal(first[keyOf(large)]) {
		t.Fatalf("a re-put within TouchAfter wrote: %v then %v", first, again)
	}
	time.Sleep(3100 * time.Millisecond)
	put()
	later := mods()
	for _, d := range [][]byte{small, large} {
		if !first[keyOf(d)].Before(later[keyOf(d)]) {
			t.Fatalf("%d bytes: LastModified %v after a re-put, was %v", len(d), later[keyOf(d)], first[keyOf(d)])
		}
	}
	if ok, err := st.RemoveIfOlder(ctx, keyOf(small), later[keyOf(small)]); ok || err != nil {
		t.Fatalf("removed a blob not older than the cutoff: %v %v", ok, err)
	}
	if ok, err := st.RemoveIfOlder(ctx, keyOf(small), later[keyOf(small)].Add(time.Second)); !ok || err != nil {
		t.Fatalf("remove an older blob: %v %v", ok, err)
	}
	if ok, err := st.RemoveIfOlder(ctx, keyOf(small), later[keyOf(small)].Add(time.Second)); ok || err != nil {
		t.Fatalf("remove a blob already gone: %v %v", ok, err)
	}
	if m := mods(); len(m) != 1 {
		t.Fatalf("after remove: %v", m)
	}
	if g := st.MinGrace(); g != 3*time.Second {
		t.Fatalf("MinGrace %v", g)
	}
}
