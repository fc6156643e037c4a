// Package secrets seals channel secrets (IMAP/SMTP passwords, OAuth
// tokens) with AES-256-GCM before they reach the database.
//
// A Box holds the 32-byte key (config.SecretKey, ATENDE_SECRET_KEY). Seal
// puts a fresh random 96-bit nonce in front of the ciphertext; the
// associated data (see AD) binds a ciphertext to its row — company,
// channel and secret name — so a ciphertext copied into another row fails
// to open. The store (store.Secrets) only ever sees the sealed bytes.
package secrets
