package smtpin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/atende-helpdesk/atende/internal/identity"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// Directory is what the server reads and writes in the store. store.Store
// satisfies it.
type Directory interface {
	GetCompany(ctx context.Context, id int64) (*model.Company, error)
	GetChannelByInboundToken(ctx context.Context, token string) (*model.Channel, error)
	ListEnabledChannels(ctx context.Context) ([]model.Channel, error)
	// ListVerifiedIdentities: who owns which domains and addresses (only
	// an owned address routes mail by a channel's primary/additional email).
	ListVerifiedIdentities(ctx context.Context) ([]store.Identity, error)
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
	errUnverifiedRcpt = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1},
		Message: "This address is not verified in Atende, so mail to it is not accepted here; its owner must verify it in Atende (or forward to the channel's inbound address)"}
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
	owners  identity.Table             // who verified which address or domain
	// notified remembers the refusals already told to a channel today
	// ("<channel>|<addr>|<day>"), so a flood of RCPTs makes one notice.
	notified map[string]bool
	log      *slog.Logger
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
	// whose domain's MX is this server. It routes only to a channel of the
	// company that owns (verified) the address or its domain.
	norm := model.NormalizeEmail(trimAngle(addr))
	if plus := strings.IndexByte(norm, '+'); plus > 0 && strings.Contains(norm[plus:], "@") {
		// A reply's plus-address (suporte+token@acme.test) belongs to suporte@acme.test.
		norm = norm[:plus] + norm[strings.IndexByte(norm, '@'):]
	}
	chs, owners, err := r.claimed(ctx, norm)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errLookupFailed, err)
	}
	if len(chs) == 0 {
		return nil, errUnknownRcpt
	}
	owner, owned := owners.Owner(norm)
	var ours []model.Channel
	for _, ch := range chs {
		if owned && ch.CompanyID == owner {
			ours = append(ours, ch)
		}
	}
	switch len(ours) {
	case 0:
		if !owned {
			// Nobody verified it: tell the claimants what to do. When
			// another company owns it, the claimants learn nothing (their
			// channel page shows the address as someone else's).
			r.refused(ctx, norm, chs)
		}
		return nil, errUnverifiedRcpt
	case 1:
		return checkChannel(&ours[0])
	default:
		return nil, errAmbiguousRcpt
	}
}

// refused tells each company whose channel lists addr, once a day per
// channel, that mail to addr was refused because it is not verified.
func (r *rcptResolver) refused(ctx context.Context, addr string, chs []model.Channel) {
	now := r.now().UTC()
	day := now.Format("2006-01-02")
	for _, ch := range chs {
		key := fmt.Sprintf("%d|%s|%s", ch.ID, addr, day)
		r.mu.Lock()
		done := r.notified[key]
		if !done {
			if r.notified == nil || len(r.notified) > 10000 {
				r.notified = map[string]bool{}
			}
			r.notified[key] = true
		}
		r.mu.Unlock()
		if done {
			continue
		}
		n := &store.Notice{CompanyID: ch.CompanyID, ChannelID: ch.ID, Kind: identity.NoticeRefused, Code: addr + " " + day,
			Key: "notice.mail_refused", Params: map[string]string{"address": addr, "day": day, "channel": ch.Name},
			Title: "E-mail recusado para " + addr,
			Body: "Chegou e-mail para " + addr + ", que o canal «" + ch.Name + "» lista, mas a empresa não verificou esse endereço " +
				"(nem o domínio). A mensagem foi recusada (550) e o remetente recebeu o aviso de não entrega. Verifique o endereço ou o domínio " +
				"em Administração → Domínios e endereços, ou encaminhe esse e-mail para o endereço interno do canal.",
			CreatedAt: now}
		if err := r.dir.CreateNotice(ctx, n); err != nil && !errors.Is(err, store.ErrConflict) && r.log != nil {
			r.log.Warn("smtpin: notice of a refused unverified address", "channel_id", ch.ID, "err", err)
		}
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
func (r *rcptResolver) claimed(ctx context.Context, addr string) ([]model.Channel, identity.Table, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if r.claims == nil || now.Sub(r.builtAt) >= r.ttl {
		chs, err := r.dir.ListEnabledChannels(ctx)
		if err != nil {
			return nil, identity.Table{}, err
		}
		ids, err := r.dir.ListVerifiedIdentities(ctx)
		if err != nil {
			return nil, identity.Table{}, err
		}
		r.owners = identity.NewTable(ids)
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
	return r.claims[addr], r.owners, nil
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
