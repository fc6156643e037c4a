// Package auth is who-is-calling for Atende: argon2id password hashing,
// browser sessions (cookie token stored hashed, synchronizer CSRF token
// bound to the session), API tokens (bearer, stored as SHA-256, revocable),
// login throttling with lockout persisted in the store, and the Principal
// (company, agent, role, teams) every request runs as.
//
// Password hashing uses argon2id (RFC 9106) with the parameters in
// DefaultParams: 19 MiB of memory, 2 passes, 1 lane, a 16-byte salt and a
// 32-byte key, the OWASP minimum for argon2id; they are stored in the PHC
// string ($argon2id$v=19$m=19456,t=2,p=1$salt$key) so they can be raised
// later without invalidating old hashes (NeedsRehash reports it).
//
// The HTTP half (Middleware) reads the session cookie or the
// Authorization: Bearer header, enforces CSRF on cookie-authenticated
// unsafe requests (X-CSRF-Token header or csrf_token form field, plus an
// Origin / Sec-Fetch-Site check), and sets cookies HttpOnly, SameSite=Lax
// and Secure when the request came over TLS (or X-Forwarded-Proto=https
// with TrustProxy).
package auth
