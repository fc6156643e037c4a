package smtpin

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// Directory is what the server reads and writes in the store. store.Store
// satisfies it.
type Directory interface {
	GetCompany(ctx context.Context, id int64) (*model.Company, error)
	GetChannelByInboundToken(ctx context.Context, token string) (*model.Channel, error)
	ListEnabledChannels(ctx context.Context) ([]model.Channel, error)
	CreateNotice(ctx context.Context, n *store.Notice) error
}

var _ Directory = (store.Store)(nil)

// SMTP replies for recipients.
var (
	errUnknownRcpt = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
		Message: "No such mailbox here: check the channel's inbound address in Atende"}
	errDisabledRcpt = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 2, 1},
		Message: "This channel is disabled in Atende and does not accept mail"}
	errNotInternal = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
		Message: "This channel does not take forwarded mail (its incoming connection is not internal)"}
	errAmbiguousRcpt = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
		Message: "This address is claimed by more than one Atende channel; forward to the channel's inbound address instead"}
	errLookupFailed = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
		Message: "Temporary lookup failure, try again later"}
)

// resolver maps RCPT addresses to channels.
type rcptResolver struct {
	dir    Directory
	domain string
	ttl    time.Duration
	now    func() time.Time

	mu      sync.Mutex
	builtAt time.Time
	claims  map[string][]model.Channel // primary/additional email → enabled channels claiming it
}

// resolve returns the channel that mail to addr belongs to, or an
// *smtp.SMTPError to answer the RCPT with.
func (r *rcptResolver) resolve(ctx context.Context, addr string) (*model.Channel, error) {
	if slug, token, ok := ParseInboundAddress(addr, r.domain); ok {
		ch, err := r.dir.GetChannelByInboundToken(ctx, token)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errUnknownRcpt
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errLookupFailed, err)
		}
		co, err := r.dir.GetCompany(ctx, ch.CompanyID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errUnknownRcpt
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errLookupFailed, err)
		}
		if co.Slug != slug {
			// A valid token under another company's slug: refuse exactly
			// like an unknown address (don't confirm that the token exists).
			return nil, errUnknownRcpt
		}
		return checkChannel(ch)
	}
	// Not an inbound address: a primary or additional email of a channel
	// whose domain's MX is this server.
	chs, err := r.claimed(ctx, model.NormalizeEmail(trimAngle(addr)))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errLookupFailed, err)
	}
	switch len(chs) {
	case 0:
		return nil, errUnknownRcpt
	case 1:
		return checkChannel(&chs[0])
	default:
		return nil, errAmbiguousRcpt
	}
}

func checkChannel(ch *model.Channel) (*model.Channel, error) {
	if !ch.Enabled {
		return nil, errDisabledRcpt
	}
	if ch.Incoming != model.ConnInternal {
		return nil, errNotInternal
	}
	return ch, nil
}

// claimed returns the enabled channels whose primary or additional email
// is addr. The table is rebuilt from ListEnabledChannels when older than
// ttl (lazily, on the lookup that finds it stale: no goroutine to own), or
// after invalidate.
func (r *rcptResolver) claimed(ctx context.Context, addr string) ([]model.Channel, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if r.claims == nil || now.Sub(r.builtAt) >= r.ttl {
		chs, err := r.dir.ListEnabledChannels(ctx)
		if err != nil {
			return nil, err
		}
		claims := map[string][]model.Channel{}
		for _, ch := range chs {
			seen := map[string]bool{}
			for _, a := range append([]string{ch.Settings.PrimaryEmail}, ch.Settings.AdditionalEmails...) {
				a = model.NormalizeEmail(a)
				if a == "" || seen[a] {
					continue
				}
				seen[a] = true
				claims[a] = append(claims[a], ch)
			}
		}
		r.claims, r.builtAt = claims, now
	}
	return r.claims[addr], nil
}

func (r *rcptResolver) invalidate() {
	r.mu.Lock()
	r.claims = nil
	r.mu.Unlock()
}

func trimAngle(s string) string {
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		return s[1 : len(s)-1]
	}
	return s
}
