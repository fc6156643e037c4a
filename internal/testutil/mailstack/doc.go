// Package mailstack runs real mail servers for Atende's tests: a throw-away Dovecot 2.3 (IMAP,
// IMAPS, LMTP) and a second Postfix 3.7 instance (SMTP, submission), both listening on 127.0.0.1
// only, with all configuration and mail under a short temp dir (/tmp/ms.XXXXXX). It wraps the
// project's scripts/mailstack/start.sh and stop.sh, which shell users can also call directly.
//
// Typical use in another package's test:
//
//	st := mailstack.StartT(t, mailstack.Options{})   // skips when the servers are not installed
//	uid, err := st.Append(ctx, "bob", st.Password("bob"), "INBOX", raw)
//	err = st.SendSMTP(ctx, "customer@else.test", []string{"support@example.test"}, raw)
//	msgs, err := st.WaitMessages(ctx, "support", "INBOX", 1)
//
// What the stack provides (defaults):
//   - users alice, bob, carol and support @example.test, passwords "<name>pw";
//   - Postfix delivers mail for example.test into Dovecot over LMTP; mail to
//     support@example.test keeps a copy in support's INBOX and is also forwarded to
//     helpdesk@support.test, and everything for support.test is relayed to RelayTarget
//     (127.0.0.1:RelayPort), where a test runs Atende's inbound SMTP server or a go-smtp stand-in;
//     if nothing listens there, Postfix keeps the mail queued and retries every 1-5 s
//     (FlushPostfixQueue retries at once);
//   - with Options.OAuth2IntrospectURL, XOAUTH2 and OAUTHBEARER logins for IMAP and (through
//     Dovecot SASL) SMTP submission, checked by Dovecot's oauth2 passdb against that RFC 7662
//     introspection endpoint (internal/oauth/oauthtest serves one);
//   - a self-signed certificate for "localhost"/127.0.0.1 (CAFile, CAPool, TLSConfig) used by
//     IMAPS, IMAP STARTTLS and SMTP STARTTLS: clients keep TLS verification on;
//   - helpers that assert or inject mail without IMAP (Deliver, Save, Messages, Search via
//     doveadm; DeliverLMTP), over IMAP (Append, LoginIMAP) and SMTP (SendSMTP, Swaks), and
//     outage helpers (StopDovecot, StartDovecot, RestartDovecot, StopPostfix, StartPostfix).
//
// Stop leaves no process behind (also not the imap processes of sessions still open, which
// would otherwise outlive Dovecot's master); if the test binary dies without calling Stop, a
// watchdog started with the stack stops it about a second later.
//
// Requirements: root (Postfix's master and Dovecot's privilege drop need it) and the Debian
// packages installed by scripts/install-test-deps.sh. Require / StartT skip the test when they
// are missing, unless ATENDE_REQUIRE_MAILSTACK=1, which turns that into a failure (for CI).
//
// Timing: on an idle machine Start takes ~0.25 s and Stop ~1.1-1.2 s, because Dovecot's master
// needs ~1.1 s to exit after SIGTERM (an internal wait, nothing configurable); RestartDovecot
// costs the same plus ~0.1 s. On the shared 2-core development VM under load (load average
// 10+) Start took 1-5 s and Stop 1.2-3 s. IDLE notifications arrive ~500 ms after a change
// (hard-coded in Dovecot); a NOOP in another session sees it after ~1 ms. A failed login costs
// ~0.5 s; Dovecot's per-IP auth penalty (2-15 s for the following logins) is disabled.
package mailstack
