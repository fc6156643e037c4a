package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/search"
	"github.com/atende-helpdesk/atende/internal/store"
)

// maxLookupIDs bounds one TicketsByMessageIDs query (References headers
// are trimmed to this many newest entries by the caller).
const maxLookupIDs = 200

// CreateMessage inserts m; a duplicate DedupeKey yields ErrConflict with
// m.ID set to the existing message.
func (s q) CreateMessage(ctx context.Context, m *model.Message) error {
	m.CreatedAt = s.stamp(m.CreatedAt)
	if m.Meta == nil {
		m.Meta = map[string]string{}
	}
	refs := m.References
	if refs == nil {
		refs = []string{}
	}
	from := model.NormalizeEmail(m.From.Address)
	replyText, flags := m.ReplyText, int64(m.Flags)&^flagReplyIsText
	if replyText != "" && replyText == m.Text {
		// Nothing quoted: one copy of the text, not two.
		replyText, flags = "", flags|flagReplyIsText
	}
	args := []any{m.CompanyID, m.TicketID, m.ChannelID, string(m.Direction), string(m.Status), nullID(m.AuthorID), m.From.Name,
		from, js(addrs(m.To)), js(addrs(m.Cc)), js(addrs(m.Bcc)), m.Subject, m.MessageID,
		m.InReplyTo, js(refs), nullTime(m.Date), m.Text, m.HTML, replyText, m.RawKey, m.Size, flags,
		nullStr(m.DedupeKey), nullID(m.InboundID), m.Error, js(m.Meta), m.CreatedAt}
	query := createMessageSQL
	if s.d.Dollar {
		// PostgreSQL: the tsvector computed ahead (PrecomputeSearch) when
		// it is still this message's, else now; always in Go, so the
		// insert trigger of migration 0026 computes nothing.
		vec := m.Search
		if vec == nil || vec.Subject != m.Subject || vec.FromName != m.From.Name || vec.FromAddress != from || vec.Text != m.Text {
			vec = messageVector(m.Subject, m.From.Name, from, m.Text)
		}
		query, args = createMessagePGSQL, append(args, vec.Vector)
	}
	id, err := s.insertReturningID(ctx, "create message", query, args...)
	if errors.Is(err, store.ErrConflict) && m.DedupeKey != "" {
		if err2 := s.wrow(ctx, "SELECT id FROM messages WHERE company_id = ? AND dedupe_key = ?", m.CompanyID, m.DedupeKey).Scan(&m.ID); err2 != nil {
			return fmt.Errorf("store: create message: find duplicate: %w", err2)
		}
		return err
	}
	m.ID = id
	return err
}

const createMessageCols = `company_id, ticket_id, channel_id, direction, status, author_id, from_name, from_address,
	to_json, cc_json, bcc_json, subject, message_id, in_reply_to, refs_json, sent_date, text_body, html_body,
	reply_text, raw_key, size, flags, dedupe_key, inbound_id, error, meta_json, created_at`

const createMessageSQL = `INSERT INTO messages (` + createMessageCols + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const createMessagePGSQL = `INSERT INTO messages (` + createMessageCols + `, search_tsv)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS tsvector))`

// PrecomputeSearch computes m's tsvector on PostgreSQL ahead of its
// insert (search.TSVector, in Go: no database work), so a writer that
// inserts many messages in one transaction does not make it; SQLite has
// nothing to do ahead.
func (s q) PrecomputeSearch(ctx context.Context, m *model.Message) error {
	if !s.d.Dollar {
		return nil
	}
	m.Search = messageVector(m.Subject, m.From.Name, model.NormalizeEmail(m.From.Address), m.Text)
	return nil
}

// messageVector is the full-text vector of a message's searched fields:
// subject, sender name and address, and the first 256 k characters of
// its text.
func messageVector(subject, fromName, fromAddress, text string) *model.SearchVector {
	body := text
	if n := search.VectorTextMax; len(body) > n {
		// Cut at n runes (a cheap byte check first: most texts are short).
		i := 0
		for j := range body {
			if i == n {
				body = body[:j]
				break
			}
			i++
		}
	}
	return &model.SearchVector{Subject: subject, FromName: fromName, FromAddress: fromAddress, Text: text,
		Vector: search.TSVector(subject, fromName, fromAddress, body)}
}

// flagReplyIsText in a row's flags says its reply text is its text (most
// mail quotes nothing): reply_text is left empty instead of holding a
// second copy. A bit of the store's own (model.Flags leaves bits 24 and
// up to it); scanMessage turns it back into ReplyText.
const flagReplyIsText int64 = 1 << 24

func addrs(a []model.Address) []model.Address {
	if a == nil {
		return []model.Address{}
	}
	return a
}

const messageCols = `id, company_id, ticket_id, channel_id, direction, status, author_id, from_name, from_address,
	to_json, cc_json, bcc_json, subject, message_id, in_reply_to, refs_json, sent_date, text_body, html_body,
	reply_text, raw_key, size, flags, dedupe_key, inbound_id, error, meta_json, created_at`

func scanMessage(sc interface{ Scan(...any) error }) (*model.Message, error) {
	var m model.Message
	var dir, status string
	var flags int64
	err := sc.Scan(&m.ID, &m.CompanyID, &m.TicketID, &m.ChannelID, &dir, &status, idv{&m.AuthorID}, &m.From.Name, &m.From.Address,
		jsonv{&m.To}, jsonv{&m.Cc}, jsonv{&m.Bcc}, &m.Subject, &m.MessageID, &m.InReplyTo, jsonv{&m.References}, tsv{&m.Date},
		&m.Text, &m.HTML, &m.ReplyText, &m.RawKey, &m.Size, &flags, strv{&m.DedupeKey}, idv{&m.InboundID}, &m.Error,
		jsonv{&m.Meta}, tsv{&m.CreatedAt})
	if flags&flagReplyIsText != 0 {
		m.ReplyText = m.Text
	}
	m.Direction, m.Status, m.Flags = model.Direction(dir), model.MessageStatus(status), model.Flags(flags&^flagReplyIsText)
	return &m, err
}

// GetMessage by ID within a company.
func (s q) GetMessage(ctx context.Context, companyID, id int64) (*model.Message, error) {
	m, err := scanMessage(s.row(ctx, "SELECT "+messageCols+" FROM messages WHERE company_id = ? AND id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("get message %d", id))
	}
	return m, nil
}

// ListMessages of a ticket, oldest first.
func (s q) ListMessages(ctx context.Context, companyID, ticketID int64) ([]model.Message, error) {
	return list(ctx, s, "list messages", scanMessage,
		"SELECT "+messageCols+" FROM messages WHERE company_id = ? AND ticket_id = ? ORDER BY id", companyID, ticketID)
}

// TicketsByMessageIDs maps Message-IDs to the tickets holding them.
// Empty IDs are never match keys.
func (s q) TicketsByMessageIDs(ctx context.Context, companyID int64, messageIDs []string) (map[string]int64, error) {
	out := map[string]int64{}
	var ids []any
	seen := map[string]bool{}
	for _, id := range messageIDs {
		id = strings.TrimSpace(id)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return out, nil
	}
	if len(ids) > maxLookupIDs {
		ids = ids[len(ids)-maxLookupIDs:]
	}
	args := append([]any{companyID}, ids...)
	rows, err := s.query(ctx, "SELECT message_id, ticket_id FROM messages WHERE company_id = ? AND message_id <> '' AND message_id IN (?"+
		strings.Repeat(", ?", len(ids)-1)+") ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("store: tickets by message ids: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var mid string
		var tid int64
		if err := rows.Scan(&mid, &tid); err != nil {
			return nil, fmt.Errorf("store: tickets by message ids: %w", err)
		}
		if _, ok := out[mid]; !ok {
			out[mid] = tid
		}
	}
	return out, rows.Err()
}

// Participants lists the addresses on a ticket: its contact and everyone
// in From/To/Cc of its messages, lowercased, first-seen order.
func (s q) Participants(ctx context.Context, companyID, ticketID int64) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(a string) {
		a = model.NormalizeEmail(a)
		if a != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	var contact string
	err := s.row(ctx, `SELECT c.email FROM tickets t JOIN contacts c ON c.id = t.contact_id AND c.company_id = t.company_id
		WHERE t.company_id = ? AND t.id = ?`, companyID, ticketID).Scan(&contact)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("participants of ticket %d", ticketID))
	}
	add(contact)
	rows, err := s.query(ctx, "SELECT from_address, to_json, cc_json FROM messages WHERE company_id = ? AND ticket_id = ? AND direction <> 'note' ORDER BY id",
		companyID, ticketID)
	if err != nil {
		return nil, fmt.Errorf("store: participants: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var from string
		var to, cc []model.Address
		if err := rows.Scan(&from, jsonv{&to}, jsonv{&cc}); err != nil {
			return nil, fmt.Errorf("store: participants: %w", err)
		}
		add(from)
		for _, a := range append(to, cc...) {
			add(a.Address)
		}
	}
	return out, rows.Err()
}

// UpdateMessageStatus sets the delivery status (and error text).
func (s q) UpdateMessageStatus(ctx context.Context, companyID, id int64, status model.MessageStatus, errText string) error {
	res, err := s.exec(ctx, "UPDATE messages SET status = ?, error = ? WHERE company_id = ? AND id = ?", string(status), errText, companyID, id)
	return affected(res, err, fmt.Sprintf("update message %d status", id))
}

// CountMessages of a company.
func (s q) CountMessages(ctx context.Context, companyID int64) (int, error) {
	var n int
	if err := s.row(ctx, "SELECT COUNT(*) FROM messages WHERE company_id = ?", companyID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count messages: %w", err)
	}
	return n, nil
}

// CreateAttachment inserts a.
func (s q) CreateAttachment(ctx context.Context, a *model.Attachment) error {
	err := s.wrow(ctx, `INSERT INTO attachments (company_id, message_id, blob_key, filename, content_type, size, content_id, inline)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.CompanyID, a.MessageID, a.BlobKey, a.Filename, a.ContentType, a.Size, a.ContentID, a.Inline).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("store: create attachment: %w", err)
	}
	return nil
}

const attachmentCols = "id, company_id, message_id, blob_key, filename, content_type, size, content_id, inline"

func scanAttachment(sc interface{ Scan(...any) error }) (*model.Attachment, error) {
	var a model.Attachment
	err := sc.Scan(&a.ID, &a.CompanyID, &a.MessageID, &a.BlobKey, &a.Filename, &a.ContentType, &a.Size, &a.ContentID, &a.Inline)
	return &a, err
}

// ListAttachments of a message.
func (s q) ListAttachments(ctx context.Context, companyID, messageID int64) ([]model.Attachment, error) {
	return list(ctx, s, "list attachments", scanAttachment,
		"SELECT "+attachmentCols+" FROM attachments WHERE company_id = ? AND message_id = ? ORDER BY id", companyID, messageID)
}

// ListTicketAttachments of every message of a ticket, in one query.
func (s q) ListTicketAttachments(ctx context.Context, companyID, ticketID int64) ([]model.Attachment, error) {
	return list(ctx, s, "list ticket attachments", scanAttachment,
		"SELECT "+prefixCols("a.", attachmentCols)+` FROM attachments a JOIN messages m ON m.id = a.message_id AND m.company_id = a.company_id
		WHERE a.company_id = ? AND m.ticket_id = ? ORDER BY a.message_id, a.id`, companyID, ticketID)
}

// GetAttachment by ID within a company.
func (s q) GetAttachment(ctx context.Context, companyID, id int64) (*model.Attachment, error) {
	a, err := scanAttachment(s.row(ctx, "SELECT "+attachmentCols+" FROM attachments WHERE company_id = ? AND id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("get attachment %d", id))
	}
	return a, nil
}
