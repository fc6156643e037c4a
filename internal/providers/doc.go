// Package providers holds the mailbox presets offered when an admin
// connects an external mailbox (Gmail, Yahoo, Office 365, iCloud, Zoho,
// mail.ru, Yandex and the Brazilian UOL, BOL, Terra, Locaweb, KingHost and
// Hostinger, plus "Other"), and the user-facing problems a connection can
// run into: each Problem has a machine code and messages in pt-BR and
// English, with provider-specific hints (app passwords, "enable IMAP").
//
// Classify turns a Go error from dialling, TLS, IMAP or SMTP into a
// Problem; the connection test (internal/inbound/imapsync.TestConnection)
// and the sync status use it so the admin sees "Falha na autenticação:
// use uma senha de app" rather than a raw protocol error.
package providers
