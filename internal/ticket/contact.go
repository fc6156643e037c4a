package ticket

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
)

// freeMail are mailbox providers whose domain says nothing about who a
// contact works for.
var freeMail = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "hotmail.com": true, "hotmail.com.br": true, "outlook.com": true,
	"outlook.com.br": true, "live.com": true, "msn.com": true, "yahoo.com": true, "yahoo.com.br": true, "ymail.com": true,
	"icloud.com": true, "me.com": true, "mac.com": true, "aol.com": true, "proton.me": true, "protonmail.com": true,
	"uol.com.br": true, "bol.com.br": true, "terra.com.br": true, "ig.com.br": true, "globo.com": true, "globomail.com": true,
	"zoho.com": true, "gmx.com": true, "gmx.net": true, "mail.com": true, "yandex.com": true,
}

// Organization is the organization a contact's address points to: its
// domain, or "" for a personal mailbox provider (gmail.com, ...).
func Organization(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return ""
	}
	d := strings.ToLower(email[at+1:])
	if d == "" || freeMail[d] {
		return ""
	}
	return d
}

// ContactCard is what the ticket view and the contact page show of a
// contact.
type ContactCard struct {
	Contact model.Contact
	// Organization is the domain ("" for personal mailboxes) and
	// OrgContacts how many of the company's contacts share it.
	Organization string
	OrgContacts  int
}

// Contact returns a contact of the actor's company with its organization.
func (s *Service) Contact(ctx context.Context, a Actor, id int64) (*ContactCard, error) {
	c, err := s.store.GetContact(ctx, a.CompanyID, id)
	if err != nil {
		return nil, fmt.Errorf("ticket: contact %d: %w", id, err)
	}
	card := &ContactCard{Contact: *c, Organization: Organization(c.Email)}
	if card.Organization != "" {
		if card.OrgContacts, err = s.store.CountContactsByDomain(ctx, a.CompanyID, card.Organization); err != nil {
			return nil, fmt.Errorf("ticket: contact %d: %w", id, err)
		}
	}
	return card, nil
}

// MaxContactName bounds a contact's name.
const MaxContactName = 200

// RenameContact sets the name of a contact of the actor's company (""
// clears it).
func (s *Service) RenameContact(ctx context.Context, a Actor, id int64, name string) (*model.Contact, error) {
	name = model.OneLine(name)
	if utf8.RuneCountInString(name) > MaxContactName {
		return nil, directory.Invalid("name", fmt.Sprintf("must be at most %d characters", MaxContactName))
	}
	if err := s.store.UpdateContactName(ctx, a.CompanyID, id, name); err != nil {
		return nil, fmt.Errorf("ticket: rename contact %d: %w", id, err)
	}
	c, err := s.store.GetContact(ctx, a.CompanyID, id)
	if err != nil {
		return nil, fmt.Errorf("ticket: rename contact %d: %w", id, err)
	}
	return c, nil
}

// MaxContactsListed bounds one page of SearchContacts.
const MaxContactsListed = 200

// SearchContacts lists the company's contacts whose name or address has
// every word of query (store.SearchContacts: accents and case folded, a
// word's start enough; "" lists all), oldest first, at most limit
// (default 50, at most MaxContactsListed) after the first offset
// matches; more says whether others follow. One indexed query a page.
func (s *Service) SearchContacts(ctx context.Context, a Actor, query string, offset, limit int) (out []model.Contact, more bool, err error) {
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, MaxContactsListed)
	out, err = s.store.SearchContacts(ctx, a.CompanyID, query, max(offset, 0), limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("ticket: search contacts: %w", err)
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	if out == nil {
		out = []model.Contact{}
	}
	return out, false, nil
}
