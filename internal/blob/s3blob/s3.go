// Package s3blob keeps Atende's blobs (raw mail, attachments) in an
// S3-compatible object store, so every node of a cluster reads and writes
// the same ones: `--blobs s3://bucket/prefix?endpoint=…&region=…`.
//
// Keys are the content keys of package blob ("sha256/<hex>", under the
// URL's prefix), so any node may store any blob and storing the same
// bytes twice is one object. Put keeps blob.Store's contract:
//
//   - it streams: memory per Put is one part (PartSize, 8 MiB), whatever
//     the blob's size;
//   - it returns only after the object is durably stored (a completed
//     PutObject, or CompleteMultipartUpload and CopyObject);
//   - the key is the SHA-256 of the bytes, computed while they stream.
//     A blob that fits in one part is hashed before it is sent, so it
//     goes straight to its final key (skipped when that key already
//     exists), with x-amz-checksum-sha256 so the server checks the bytes
//     against the key. A larger blob cannot be named before its last byte
//     is read: it is uploaded in parts under a temporary key
//     ("tmp/<random>"), then copied server-side to its final key (one
//     CopyObject, no bytes through this node) and the temporary object
//     deleted. Spooling big blobs to local disk first would have named
//     them before upload too, but needs local disk the size of the
//     largest attachment on every node and doubles the local I/O; the
//     copy costs the object store one internal copy instead. A temporary
//     object or an unfinished upload left by a crash is garbage:
//     `atende admin gc-blobs` removes it once older than its grace period
//     (RemoveStaleTemps; a bucket lifecycle rule on tmp/ would do too);
//   - a blob over the Put's limit aborts the upload and returns
//     blob.ErrTooLarge; Open of a missing key returns blob.ErrNotFound.
//
// Garbage collection (`atende admin gc-blobs`, backup.GC) lists the
// bucket page by page with each object's LastModified and deletes old
// unreferenced objects (RemoveIfOlder asks HeadObject again first). So
// that a blob an ingest stores again, for a row not committed yet, is
// never old, a Put of content already stored writes it again when the
// object is older than Config.TouchAfter (1 h); within that it is
// skipped. The grace period of a collection must be longer (MinGrace).
//
// TLS certificates are verified (extra CAs through Config.TLS); a plain
// http:// endpoint is refused unless it is a loopback address or the URL
// says allow_http=1. Credentials come from the AWS SDK's usual chain
// (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, shared files, roles).
package s3blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/atende-helpdesk/atende/internal/blob"
)

// DefaultPartSize is the multipart part size (and the largest blob sent
// in one PutObject).
const DefaultPartSize = 8 << 20

// DefaultTouchAfter is Config.TouchAfter's default. Garbage collection
// must use a grace period longer than it (backup.DefaultGrace is 24 h).
const DefaultTouchAfter = time.Hour

// maxCopy is the largest object one CopyObject can copy (5 GiB).
const maxCopy = 5 << 30

// Config says where the blobs live.
type Config struct {
	Bucket   string
	Prefix   string // key prefix inside the bucket ("" or "path/")
	Endpoint string // https://s3.example.com; "" = AWS
	Region   string
	// PathStyle addresses the bucket in the path (endpoint/bucket/key), as
	// most S3-compatible servers want; default on with an Endpoint.
	PathStyle bool
	// AllowHTTP permits a plain http:// endpoint that is not loopback.
	AllowHTTP bool
	// AccessKey/SecretKey, when set, override the SDK's credential chain.
	AccessKey, SecretKey string
	// TLS is the base TLS configuration (extra root CAs); verification is
	// always on.
	TLS *tls.Config
	// PartSize is the multipart part size (min 5 MiB; default 8 MiB).
	PartSize int64
	// TouchAfter: a Put of content already stored, in an object last
	// written longer ago than this, writes it again so its LastModified
	// is now (default 1 h; garbage collection needs a longer grace).
	TouchAfter time.Duration
	// ListPage is how many objects one ListObjectsV2 page asks for
	// (default and S3's maximum 1000; tests use less to see pages).
	ListPage int32
}

// ParseURL reads s3://bucket[/prefix]?endpoint=URL&region=R[&path_style=0|1][&allow_http=1].
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return Config{}, fmt.Errorf("s3blob: %q is not s3://bucket[/prefix]?endpoint=…&region=…", raw)
	}
	q := u.Query()
	c := Config{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/"), Endpoint: q.Get("endpoint"), Region: q.Get("region")}
	if c.Prefix != "" {
		c.Prefix += "/"
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	c.PathStyle = c.Endpoint != ""
	for name, p := range map[string]*bool{"path_style": &c.PathStyle, "allow_http": &c.AllowHTTP} {
		if v := q.Get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return Config{}, fmt.Errorf("s3blob: %s=%q: want 0 or 1", name, v)
			}
			*p = b
		}
	}
	for k := range q {
		switch k {
		case "endpoint", "region", "path_style", "allow_http":
		default:
			return Config{}, fmt.Errorf("s3blob: unknown parameter %q in %s (endpoint, region, path_style, allow_http)", k, raw)
		}
	}
	return c, c.check()
}

func (c Config) check() error {
	if c.Endpoint == "" {
		return nil
	}
	e, err := url.Parse(c.Endpoint)
	if err != nil || (e.Scheme != "https" && e.Scheme != "http") || e.Host == "" {
		return fmt.Errorf("s3blob: endpoint %q must be an https:// URL", c.Endpoint)
	}
	if e.Scheme == "http" && !c.AllowHTTP && !loopback(e.Hostname()) {
		return fmt.Errorf("s3blob: endpoint %q is plain http to another machine; use https, or allow_http=1 on a private network", c.Endpoint)
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Store is a blob.Store on an S3 bucket.
type Store struct {
	c      *s3.Client
	bucket string
	prefix string
	part   int64
	touch  time.Duration
	page   int32
	bufs   sync.Pool
}

var (
	_ blob.Store         = (*Store)(nil)
	_ blob.Walker        = (*Store)(nil)
	_ blob.Collectable   = (*Store)(nil)
	_ blob.TempCollector = (*Store)(nil)
)

// New connects (lazily: the first request opens a connection) to the bucket.
func New(ctx context.Context, c Config) (*Store, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if c.Bucket == "" {
		return nil, errors.New("s3blob: no bucket")
	}
	if c.PartSize == 0 {
		c.PartSize = DefaultPartSize
	}
	if c.ListPage <= 0 || c.ListPage > 1000 {
		c.ListPage = 1000
	}
	if c.TouchAfter <= 0 {
		c.TouchAfter = DefaultTouchAfter
	}
	if c.PartSize < 5<<20 {
		return nil, fmt.Errorf("s3blob: part size %d below the S3 minimum of 5 MiB", c.PartSize)
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.TLS != nil {
		tlsCfg = c.TLS.Clone()
	}
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.TLSClientConfig = tlsCfg
		tr.MaxIdleConnsPerHost = 64
	})
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(c.Region),
		config.WithHTTPClient(httpClient),
		// Checksums only where S3 requires them (we send our own SHA-256):
		// many S3-compatible servers reject the SDK's default trailers.
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	}
	if c.AccessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(c.AccessKey, c.SecretKey, "")))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3blob: AWS configuration: %w", err)
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
		}
		o.UsePathStyle = c.PathStyle
	})
	s := &Store{c: client, bucket: c.Bucket, prefix: c.Prefix, part: c.PartSize, touch: c.TouchAfter, page: c.ListPage}
	s.bufs.New = func() any { b := make([]byte, s.part); return &b }
	return s, nil
}

// Check makes sure the bucket answers (readiness, start-up).
func (s *Store) Check(ctx context.Context) error {
	if _, err := s.c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket}); err != nil {
		return fmt.Errorf("s3blob: bucket %s: %w", s.bucket, err)
	}
	return nil
}

func (s *Store) object(key string) *string { return aws.String(s.prefix + key) }

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Put streams r into the bucket; see the package doc.
func (s *Store) Put(ctx context.Context, r io.Reader, max int64) (string, int64, error) {
	src := io.Reader(ctxReader{ctx, r})
	if max > 0 {
		src = io.LimitReader(src, max+1)
	}
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	buf := *bp
	n, err := io.ReadFull(src, buf)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return s.putSmall(ctx, buf[:n], max)
	}
	if err != nil {
		return "", 0, fmt.Errorf("blob: read: %w", err)
	}
	return s.putLarge(ctx, buf, src, max)
}

func (s *Store) putSmall(ctx context.Context, data []byte, max int64) (string, int64, error) {
	n := int64(len(data))
	if max > 0 && n > max {
		return "", 0, fmt.Errorf("blob: %w: more than %d bytes", blob.ErrTooLarge, max)
	}
	sum := sha256.Sum256(data)
	key := blob.KeyOfSum(sum[:])
	if ok, err := s.fresh(ctx, key); err != nil {
		return "", 0, err
	} else if ok {
		return key, n, nil // same content already stored, recently
	}
	_, err := s.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: s.object(key), Body: bytes.NewReader(data),
		ContentLength: aws.Int64(n), ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum[:]))})
	if err != nil {
		return "", 0, fmt.Errorf("blob: put %s: %w", key, err)
	}
	return key, n, nil
}

// putLarge uploads under a temporary key in parts while hashing, then
// copies to the content key.
func (s *Store) putLarge(ctx context.Context, first []byte, src io.Reader, max int64) (key string, size int64, err error) {
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	tmp := s.prefix + "tmp/" + hex.EncodeToString(rnd[:])
	up, err := s.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: &tmp})
	if err != nil {
		return "", 0, fmt.Errorf("blob: start upload: %w", err)
	}
	completed := false
	defer func() {
		if completed {
			// The temporary object is garbage now (copied, or failed).
			if _, e := s.c.DeleteObject(context.WithoutCancel(ctx), &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &tmp}); e != nil && err == nil {
				err = fmt.Errorf("blob: delete temporary object: %w", e)
			}
			return
		}
		_, _ = s.c.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: &tmp, UploadId: up.UploadId})
	}()
	h := sha256.New()
	var parts []types.CompletedPart
	buf := first
	n := len(first)
	for num := int32(1); ; num++ {
		chunk := buf[:n]
		size += int64(n)
		if max > 0 && size > max {
			return "", 0, fmt.Errorf("blob: %w: more than %d bytes", blob.ErrTooLarge, max)
		}
		if max <= 0 && size > maxCopy {
			return "", 0, fmt.Errorf("blob: %w: more than %d bytes (the largest single copy)", blob.ErrTooLarge, int64(maxCopy))
		}
		h.Write(chunk)
		if n > 0 || num == 1 {
			out, err := s.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &s.bucket, Key: &tmp, UploadId: up.UploadId,
				PartNumber: aws.Int32(num), Body: bytes.NewReader(chunk), ContentLength: aws.Int64(int64(n))})
			if err != nil {
				return "", 0, fmt.Errorf("blob: upload part %d: %w", num, err)
			}
			parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num)})
		}
		var rerr error
		n, rerr = io.ReadFull(src, buf)
		if errors.Is(rerr, io.EOF) {
			break
		}
		if errors.Is(rerr, io.ErrUnexpectedEOF) {
			// the last, short part
			size += int64(n)
			if max > 0 && size > max {
				return "", 0, fmt.Errorf("blob: %w: more than %d bytes", blob.ErrTooLarge, max)
			}
			h.Write(buf[:n])
			out, err := s.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &s.bucket, Key: &tmp, UploadId: up.UploadId,
				PartNumber: aws.Int32(num + 1), Body: bytes.NewReader(buf[:n]), ContentLength: aws.Int64(int64(n))})
			if err != nil {
				return "", 0, fmt.Errorf("blob: upload part %d: %w", num+1, err)
			}
			parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num + 1)})
			break
		}
		if rerr != nil {
			return "", 0, fmt.Errorf("blob: read: %w", rerr)
		}
	}
	if _, err := s.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &s.bucket, Key: &tmp, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		return "", 0, fmt.Errorf("blob: complete upload: %w", err)
	}
	completed = true
	key = blob.KeyOfSum(h.Sum(nil))
	if ok, err := s.fresh(ctx, key); err != nil {
		return "", 0, err
	} else if ok {
		return key, size, nil
	}
	if _, err := s.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &s.bucket, Key: s.object(key),
		CopySource: aws.String(s.bucket + "/" + tmp)}); err != nil {
		return "", 0, fmt.Errorf("blob: copy into %s: %w", key, err)
	}
	return key, size, nil
}

// notFound reports whether err is S3's "no such key" (or a 404).
func notFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchKey" || ae.ErrorCode() == "NotFound") {
		return true
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound
}

// Open streams a blob; the caller closes it.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := blob.CheckKey(key); err != nil {
		return nil, err
	}
	out, err := s.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: s.object(key)})
	if notFound(err) {
		return nil, fmt.Errorf("blob: open %s: %w", key, blob.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", key, err)
	}
	return out.Body, nil
}

// Exists reports whether the blob is stored.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	if err := blob.CheckKey(key); err != nil {
		return false, err
	}
	_, err := s.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: s.object(key)})
	if notFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("blob: stat %s: %w", key, err)
	}
	return true, nil
}

// Walk calls fn for every stored blob, in key order (List without the
// times).
func (s *Store) Walk(ctx context.Context, fn func(key string, size int64) error) error {
	return s.List(ctx, func(key string, size int64, _ time.Time) error { return fn(key, size) })
}

// CreateBucket creates the bucket when it does not exist (tests, first
// installs); an existing bucket of ours is fine.
func (s *Store) CreateBucket(ctx context.Context) error {
	_, err := s.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &s.bucket})
	var owned *types.BucketAlreadyOwnedByYou
	var exists *types.BucketAlreadyExists
	if err == nil || errors.As(err, &owned) || errors.As(err, &exists) {
		return nil
	}
	return fmt.Errorf("s3blob: create bucket %s: %w", s.bucket, err)
}

// fresh reports whether key is stored and was last written within
// TouchAfter. Put skips writing content already stored only then: an
// older object is written again (PutObject, or the CopyObject of a large
// blob), which sets its LastModified to now. A Put of content already
// there may be for a row not committed yet; without the rewrite, a
// garbage collection that read the references before that row would see
// an old unreferenced object and delete it. (A copy of the object onto
// itself would be cheaper, but not every S3-compatible server updates
// LastModified for it: versitygw does not.)
func (s *Store) fresh(ctx context.Context, key string) (bool, error) {
	out, err := s.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: s.object(key)})
	if notFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("blob: stat %s: %w", key, err)
	}
	return out.LastModified != nil && time.Since(*out.LastModified) < s.touch, nil
}

// List calls fn for every stored blob, in key order, with its size and
// LastModified, one ListObjectsV2 page (Config.ListPage objects) at a
// time: only one page is in memory.
func (s *Store) List(ctx context.Context, fn func(key string, size int64, modified time.Time) error) error {
	p := s3.NewListObjectsV2Paginator(s.c, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: aws.String(s.prefix + "sha256/"),
		MaxKeys: aws.Int32(s.page)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("blob: list: %w", err)
		}
		for _, o := range page.Contents {
			key := strings.TrimPrefix(aws.ToString(o.Key), s.prefix)
			if blob.CheckKey(key) != nil {
				continue
			}
			if err := fn(key, aws.ToInt64(o.Size), aws.ToTime(o.LastModified)); err != nil {
				return err
			}
		}
	}
	return nil
}

// RemoveIfOlder deletes key when its LastModified, asked again now, is
// before t; it reports whether it deleted the object.
func (s *Store) RemoveIfOlder(ctx context.Context, key string, t time.Time) (bool, error) {
	if err := blob.CheckKey(key); err != nil {
		return false, err
	}
	out, err := s.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: s.object(key)})
	if notFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("blob: stat %s: %w", key, err)
	}
	if out.LastModified == nil || !out.LastModified.Before(t) {
		return false, nil
	}
	if _, err := s.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: s.object(key)}); err != nil {
		return false, fmt.Errorf("blob: delete %s: %w", key, err)
	}
	return true, nil
}

// MinGrace is the shortest grace period garbage collection may use on
// this store: a Put of content already stored writes the object again
// (refreshing its LastModified) only when it is older than TouchAfter.
func (s *Store) MinGrace() time.Duration { return s.touch }

// RemoveStaleTemps removes what a node killed in the middle of a large
// Put leaves behind: the unfinished multipart upload under tmp/ (its
// parts are stored, invisible to List, and billed) or the completed
// temporary object not yet copied and deleted. Only those older than
// before go: a Put in progress is as young as the ingest holding it, and
// garbage collection passes a cutoff at least MinGrace in the past. It
// pages through both listings; a dry run removes nothing.
func (s *Store) RemoveStaleTemps(ctx context.Context, before time.Time, dryRun bool) (blob.TempReport, error) {
	var r blob.TempReport
	prefix := s.prefix + "tmp/"
	p := s3.NewListObjectsV2Paginator(s.c, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &prefix, MaxKeys: aws.Int32(s.page)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return r, fmt.Errorf("blob: list temporary objects: %w", err)
		}
		for _, o := range page.Contents {
			if o.LastModified == nil || !o.LastModified.Before(before) {
				continue
			}
			if !dryRun {
				if _, err := s.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: o.Key}); err != nil && !notFound(err) {
					return r, fmt.Errorf("blob: delete temporary object: %w", err)
				}
			}
			r.Objects++
			r.Bytes += aws.ToInt64(o.Size)
		}
	}
	in := &s3.ListMultipartUploadsInput{Bucket: &s.bucket, Prefix: &prefix, MaxUploads: aws.Int32(s.page)}
	for {
		out, err := s.c.ListMultipartUploads(ctx, in)
		if err != nil {
			return r, fmt.Errorf("blob: list unfinished uploads: %w", err)
		}
		for _, u := range out.Uploads {
			if u.Initiated == nil || !u.Initiated.Before(before) {
				continue
			}
			if !dryRun {
				if _, err := s.c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: u.Key, UploadId: u.UploadId}); err != nil && !notFound(err) {
					var ae smithy.APIError
					if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchUpload" {
						return r, fmt.Errorf("blob: abort unfinished upload: %w", err)
					}
				}
			}
			r.Uploads++
		}
		if !aws.ToBool(out.IsTruncated) {
			return r, nil
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}
