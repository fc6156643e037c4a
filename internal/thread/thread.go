package thread

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Input is what Resolve needs from an incoming message.
type Input struct {
	CompanyID int64
	// ChannelID is the channel the message arrived on: a subject tag only
	// joins a ticket of the same channel (0 = not checked).
	ChannelID  int64
	MessageID  string   // no angle brackets; "" when missing
	InReplyTo  []string // no angle brackets
	References []string // oldest first
	Subject    string
	From       string   // sender address, any case
	Recipients []string // all of To, Cc, Delivered-To, X-Original-To (any case)
}

// TicketRef is the store's answer about one ticket.
type TicketRef struct {
	ID        int64
	Number    int64
	ChannelID int64
	// Participants are the lowercased addresses of the contact and everyone
	// else on the ticket.
	Participants []string
}

// Index is what the store answers. Not-found is (zero, false, nil), never an
// error; an error means the lookup itself failed and Resolve returns it.
type Index interface {
	// TicketsByMessageIDs returns, for each given Message-ID that a stored
	// (received or sent) message of this company has, the ticket it belongs
	// to. IDs without a ticket are simply absent from the map.
	TicketsByMessageIDs(ctx context.Context, companyID int64, messageIDs []string) (map[string]TicketRef, error)
	TicketByReplyToken(ctx context.Context, companyID int64, token string) (TicketRef, bool, error)
	TicketByNumber(ctx context.Context, companyID int64, number int64) (TicketRef, bool, error)
}

// Method says how Resolve found the ticket.
type Method string

// Methods, in the order Resolve tries them.
const (
	MethodReplyToken Method = "reply-token"
	MethodInReplyTo  Method = "in-reply-to"
	MethodReferences Method = "references"
	MethodSubjectTag Method = "subject-tag"
	MethodNew        Method = "" // no match: open a new ticket
)

// Result is Resolve's decision. When Found is false the message opens a new
// ticket and Ticket is the zero value. Forwarded reports that the subject is
// a forward (see IsForward); without a token match a forward always opens a
// new ticket.
type Result struct {
	Ticket    TicketRef
	Found     bool
	Method    Method
	Forwarded bool
}

// MaxReferences is how many of the newest References entries (and how many
// In-Reply-To entries) Resolve looks up, bounding the store query for hostile
// or runaway headers. Threads longer than this still resolve through
// In-Reply-To and the newest references, which are the ones that matter.
const MaxReferences = 100

// ErrBadCompany is returned for a non-positive Input.CompanyID.
var ErrBadCompany = errors.New("thread: company id must be positive")

// Resolve decides which ticket of in.CompanyID the message belongs to; see
// the package documentation for the order and rules. It returns an error
// only when in.CompanyID is not positive or the Index fails.
func Resolve(ctx context.Context, idx Index, in Input) (Result, error) {
	if in.CompanyID <= 0 {
		return Result{}, ErrBadCompany
	}
	res := Result{Forwarded: IsForward(in.Subject)}

	// 1. Reply-address token, in recipient order; an unknown token (expired,
	// from another company, mistyped) falls through to the next one.
	seenTok := map[string]bool{}
	for _, r := range in.Recipients {
		tok, ok := TokenFromAddress(r)
		if !ok || seenTok[tok] {
			continue
		}
		seenTok[tok] = true
		t, found, err := idx.TicketByReplyToken(ctx, in.CompanyID, tok)
		if err != nil {
			return Result{}, fmt.Errorf("thread: lookup reply token: %w", err)
		}
		if found {
			res.Ticket, res.Found, res.Method = t, true, MethodReplyToken
			return res, nil
		}
	}

	if res.Forwarded {
		return res, nil
	}

	// 2 and 3. In-Reply-To, then References newest first, in one lookup.
	self := cleanID(in.MessageID)
	irt := cleanIDs(in.InReplyTo, self, MaxReferences)
	refs := cleanIDs(reversed(in.References), self, MaxReferences)
	if len(irt)+len(refs) > 0 {
		ids := make([]string, 0, len(irt)+len(refs))
		seen := map[string]bool{}
		for _, id := range append(append([]string{}, irt...), refs...) {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		m, err := idx.TicketsByMessageIDs(ctx, in.CompanyID, ids)
		if err != nil {
			return Result{}, fmt.Errorf("thread: lookup message ids: %w", err)
		}
		for _, id := range irt {
			if t, ok := m[id]; ok {
				res.Ticket, res.Found, res.Method = t, true, MethodInReplyTo
				return res, nil
			}
		}
		for _, id := range refs {
			if t, ok := m[id]; ok {
				res.Ticket, res.Found, res.Method = t, true, MethodReferences
				return res, nil
			}
		}
	}

	// 4. Subject tag, only from a participant, on the ticket's channel.
	if n, ok := TagFromSubject(in.Subject); ok {
		t, found, err := idx.TicketByNumber(ctx, in.CompanyID, n)
		if err != nil {
			return Result{}, fmt.Errorf("thread: lookup ticket number %d: %w", n, err)
		}
		sameChannel := in.ChannelID == 0 || t.ChannelID == 0 || in.ChannelID == t.ChannelID
		if found && sameChannel && SenderMayJoin(in.From, t.Participants) {
			res.Ticket, res.Found, res.Method = t, true, MethodSubjectTag
			return res, nil
		}
	}

	// 5. New ticket.
	return res, nil
}

// SenderMayJoin is the subject-tag rule: from is one of the participants
// (the contact, or anyone who was on the ticket's mails), compared
// case-insensitively. Anyone else who puts "[#5]" in a subject opens a
// new ticket: a subject line is no proof of anything.
func SenderMayJoin(from string, participants []string) bool {
	f := bareAddress(from)
	if domainOf(f) == "" || strings.IndexByte(f, '@') <= 0 {
		return false
	}
	for _, p := range participants {
		if bareAddress(p) == f {
			return true
		}
	}
	return false
}

// cleanID trims white space and one pair of angle brackets.
func cleanID(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "<")
	s = strings.TrimSuffix(s, ">")
	return strings.TrimSpace(s)
}

// cleanIDs cleans ids, drops empty ones and ones equal to self, and keeps at
// most limit of them, in order.
func cleanIDs(ids []string, self string, limit int) []string {
	var out []string
	for _, id := range ids {
		if len(out) >= limit {
			break
		}
		id = cleanID(id)
		if id == "" || id == self {
			continue
		}
		out = append(out, id)
	}
	return out
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}
