package mailparse

import "time"

// ReportAddress is one mailbox in a Report.
type ReportAddress struct {
	Address string `json:"address"`
	Name    string `json:"name"`
}

// ReportAttachment is one attachment in a Report.
type ReportAttachment struct {
	// Filename is the name the sender gave, "" when none.
	Filename string `json:"filename"`
	// StoredAs is the name Atende stores and offers the file under.
	StoredAs    string `json:"stored_as"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	ContentID   string `json:"content_id"`
	Inline      bool   `json:"inline"`
}

// ReportBounce is the bounce information in a Report.
type ReportBounce struct {
	Recipient string `json:"recipient"`
	Status    string `json:"status"`
}

// Report is the JSON printed by `atende parse FILE`. Lists are never null.
type Report struct {
	FromAddress      string             `json:"from_address"`
	FromName         string             `json:"from_name"`
	To               []ReportAddress    `json:"to"`
	Cc               []ReportAddress    `json:"cc"`
	Subject          string             `json:"subject"`
	MessageID        string             `json:"message_id"`
	InReplyTo        string             `json:"in_reply_to"`
	References       []string           `json:"references"`
	Date             string             `json:"date"`
	TextBody         string             `json:"text_body"`
	HTMLBody         string             `json:"html_body"`
	Attachments      []ReportAttachment `json:"attachments"`
	ReplyVisibleText string             `json:"reply_visible_text"`
	AutoSubmitted    bool               `json:"auto_submitted"`
	Bulk             bool               `json:"bulk"`
	Bounce           *ReportBounce      `json:"bounce"`
	Warnings         []string           `json:"warnings"`
	Partial          bool               `json:"partial"`
}

// NewReport converts a parsed Message into its Report.
func NewReport(m *Message) Report {
	r := Report{
		FromAddress:      m.From.Address,
		FromName:         m.From.Name,
		To:               reportAddrs(m.To),
		Cc:               reportAddrs(m.Cc),
		Subject:          m.Subject,
		MessageID:        m.MessageID,
		References:       append([]string{}, m.References...),
		TextBody:         m.TextBody,
		HTMLBody:         m.HTMLBody,
		Attachments:      []ReportAttachment{},
		ReplyVisibleText: m.ReplyVisibleText,
		AutoSubmitted:    m.AutoSubmitted,
		Bulk:             m.Bulk,
		Warnings:         append([]string{}, m.Warnings...),
		Partial:          m.Partial,
	}
	if len(m.InReplyTo) > 0 {
		r.InReplyTo = m.InReplyTo[0]
	}
	if !m.Date.IsZero() {
		r.Date = m.Date.Format(time.RFC3339)
	}
	for _, a := range m.Attachments {
		r.Attachments = append(r.Attachments, ReportAttachment{
			Filename: a.GivenName, StoredAs: a.Filename, ContentType: a.ContentType, Size: a.Size, ContentID: a.ContentID, Inline: a.Inline,
		})
	}
	if m.Bounce != nil {
		r.Bounce = &ReportBounce{Recipient: m.Bounce.Recipient, Status: m.Bounce.Status}
	}
	return r
}

func reportAddrs(in []Address) []ReportAddress {
	out := make([]ReportAddress, 0, len(in))
	for _, a := range in {
		out = append(out, ReportAddress{Address: a.Address, Name: a.Name})
	}
	return out
}
