package s3blob

import "github.com/aws/aws-sdk-go-v2/service/s3"

// Client is the store's S3 client, for tests that leave behind what a
// crashed node would.
func (s *Store) Client() *s3.Client { return s.c }

// Bucket is the store's bucket and key prefix.
func (s *Store) Bucket() (bucket, prefix string) { return s.bucket, s.prefix }
