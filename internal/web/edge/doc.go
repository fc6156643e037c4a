// Package edge is what every HTTP request meets before the API and UI
// handlers, and the server settings that bound a connection:
//
//   - a body limit for every request (MaxBody, 2 MiB), larger only on the
//     upload routes (Uploads, up to UploadMax): a request announcing more
//     gets 413 before anything reads it, and a chunked one is cut at the
//     limit, so no unauthenticated request can fill the disk with a
//     multipart form's temporary files;
//   - multipart bodies refused (415) on the routes that take none, the
//     login and first-run setup forms among them (NoMultipart);
//   - X-Content-Type-Options: nosniff on every response (the API's JSON
//     included), and Strict-Transport-Security on requests that came over
//     TLS, directly or through a trusted proxy (Secure);
//   - Server: read timeouts (ReadHeaderTimeout 10 s, ReadTimeout 60 s,
//     10 min on the upload routes) and IdleTimeout (2 min). There is no
//     WriteTimeout: the live event stream is a response that lasts; it
//     lifts its own read deadline (see api.events).
package edge
