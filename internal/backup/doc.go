// Package backup makes and restores consistent online snapshots of a
// one-node installation, and collects blobs nothing references any more.
//
// A snapshot is a directory:
//
//	atende.db       the SQLite database, copied with VACUUM INTO (a
//	                consistent, compacted copy taken while the server runs)
//	blobs/          every blob the copied database references, in the
//	                filesystem layout (sha256/ab/cd/<sum>), each verified
//	                against its key while copied
//	secret.key      the data directory's secret key when it has one
//	                (channel passwords are sealed with it)
//	manifest.json   when, which version, how many rows and blobs
//
// Blobs are written before the rows that reference them are committed, and
// never changed (content-addressed), so copying the referenced blobs after
// the database copy gives a consistent pair. For PostgreSQL the database
// part is pg_dump (README "Backups"); CopyBlobs and the blob store copy
// work the same way.
//
// Blob garbage collection (GC) deletes blobs no message, attachment,
// inbound row or notice references, older than a grace period so a blob
// written by an ingest whose row is not committed yet is never taken. It
// works on any blob.Collectable: the filesystem store (file times) and
// S3 (ListObjectsV2 pages, LastModified; a Put of content already stored
// refreshes it, as the filesystem store refreshes the file's time). What
// is left between asking a blob's time again and deleting it (a
// millisecond window in which a re-put of the same bytes is not seen) is
// the same on both stores.
package backup
