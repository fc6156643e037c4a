package store

import (
	"context"
	"time"
)

// Notice kinds.
const (
	// NoticeForwardingConfirmation: a mail provider (Gmail, ...) sent a
	// confirmation code/link to the channel's inbound address when the
	// customer enabled forwarding; an admin must confirm it.
	NoticeForwardingConfirmation = "forwarding_confirmation"
	// NoticeReconnect: a channel's connection needs the admin's attention.
	NoticeReconnect = "reconnect"
)

// Notice is a message for a channel's admins; it is never a customer
// ticket. Raw mail that produced a notice stays in the blob store (RawKey).
//
// A notice is shown in the reader's language: Key names its message in
// the UI's catalogs (Key+".title" and Key+".body", e.g. "notice.imap_down")
// and Params fills the message's {name} placeholders. Title and Body are
// the same text in pt-BR, written once: what a reader sees when Key is ""
// (notices written before keys existed) or unknown to its catalog.
type Notice struct {
	ID        int64
	CompanyID int64
	ChannelID int64 // 0 = company-wide
	Kind      string
	Key       string            // message key, "" for notices stored as text only
	Params    map[string]string // the message's parameters, nil when none
	Title     string
	Body      string
	Code      string // confirmation code, "" when none
	Link      string // confirmation link, "" when none
	RawKey    string // blob key of the raw mail, "" when none
	CreatedAt time.Time
	ReadAt    time.Time // zero = unread
}

// NoticeFilter narrows ListNotices. Zero values mean "any".
type NoticeFilter struct {
	ChannelID  int64
	UnreadOnly bool
	Limit      int // default 50, max 500
}

// Notices are messages for a channel's admins (forwarding confirmations, reconnect needed).
type Notices interface {
	// CreateNotice inserts n and sets its ID. A notice with a Code is
	// unique per company, channel, kind and code: creating it again returns
	// ErrConflict and sets n.ID to the existing notice's ID (a mail
	// delivered twice makes one notice).
	CreateNotice(ctx context.Context, n *Notice) error
	GetNotice(ctx context.Context, companyID, id int64) (*Notice, error)
	// ListNotices of a company, newest first.
	ListNotices(ctx context.Context, companyID int64, f NoticeFilter) ([]Notice, error)
	// MarkNoticeRead sets ReadAt to at, or to now by the store's clock
	// when at is zero (keeps the first read time); ErrNotFound when the
	// notice is not the company's.
	MarkNoticeRead(ctx context.Context, companyID, id int64, at time.Time) error
	// CountUnreadNotices of a company.
	CountUnreadNotices(ctx context.Context, companyID int64) (int, error)
}
