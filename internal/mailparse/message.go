package mailparse

import (
	"io"
	"time"

	"github.com/atende-helpdesk/atende/internal/yield"
)

// Address is one mailbox from an address header.
type Address struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

// Attachment describes one attachment or inline part. Its bytes were handed
// to Options.Sink while parsing; BlobKey is what the sink returned.
type Attachment struct {
	// Filename is the name to store and offer the file under: the sender's
	// (sanitized) or, when the sender gave none, one made up from the
	// content type ("attachment-1.png") or the subject of an attached
	// message ("Pedido 123.eml").
	Filename string
	// GivenName is the name the sender gave (sanitized), "" when none.
	GivenName   string
	ContentType string
	Size        int64 // decoded size in bytes
	ContentID   string
	Inline      bool
	BlobKey     string
}

// Bounce is the parsed delivery status of a DSN (multipart/report) or of a
// mailer-daemon message.
type Bounce struct {
	Recipient string `json:"recipient"`
	Status    string `json:"status"` // e.g. "5.1.1"
	// OriginalMessageID is the Message-ID of the message that bounced, when
	// the report carries it (used to link a bounce to the outbound message).
	OriginalMessageID string `json:"-"`
}

// Message is everything Atende reads out of one raw email.
type Message struct {
	From        Address
	To          []Address
	Cc          []Address
	Bcc         []Address
	ReplyTo     []Address
	DeliveredTo []string // Delivered-To / X-Original-To values, lowercased

	Subject    string
	MessageID  string   // without angle brackets; "" when missing or empty
	InReplyTo  []string // without angle brackets
	References []string // without angle brackets, oldest first
	Date       time.Time

	TextBody string // plain text (from text/plain, or derived from HTML)
	HTMLBody string // sanitized HTML, safe to display; "" when the mail had none
	// ReplyVisibleText is what the sender actually wrote in this message,
	// without quoted history and signature.
	ReplyVisibleText string

	Attachments []Attachment

	AutoSubmitted bool // Auto-Submitted (not "no"), X-Autoreply, X-Autorespond, Precedence auto_reply...
	Bulk          bool // Precedence bulk/list/junk, List-Id, List-Unsubscribe
	Bounce        *Bounce

	// Headers keeps selected raw header values (lowercased keys) other
	// features need (e.g. "authentication-results", "arc-seal", "list-id").
	Headers map[string][]string

	Warnings []string // what was repaired or truncated while parsing
	// Partial is set when the message could not be fully read: it had no
	// header, was empty, its MIME structure was broken (a boundary never
	// found, input ending inside a part) or a size limit cut it. What could
	// be read is still there; the raw message is the authority.
	Partial bool
	// PartialReason is the warning that made the message Partial.
	PartialReason string
}

// Sink receives the decoded bytes of one attachment and stores them
// (e.g. in the blob store). It must consume r fully or return an error.
// It returns the storage key and the number of bytes read.
type Sink func(meta Attachment, r io.Reader) (key string, size int64, err error)

// Options tune Parse.
type Options struct {
	// Sink stores attachment bytes; nil discards them (sizes are still counted).
	Sink Sink
	// AttachmentURL rewrites cid: references in HTML; given a Content-ID it
	// returns the URL the UI serves that inline part from ("" keeps a placeholder).
	AttachmentURL func(contentID string) string
	// Gate, when set, is where the CPU-heavy HTML steps yield (package
	// yield): a server's ingest workers pass theirs so the committer
	// every acknowledgement waits on runs first. Nil yields the processor
	// only.
	Gate *yield.Gate
}
