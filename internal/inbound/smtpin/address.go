package smtpin

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// TokenBytes is the entropy of an inbound token: 10 random bytes (80 bits)
// are 16 base32 characters, which keeps <company-slug>-<token> within the
// 64-octet local-part limit of RFC 5321 for slugs of up to 47 characters.
const TokenBytes = 10

var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewInboundToken returns a fresh unguessable channel token: 80 bits from
// crypto/rand as 16 lowercase base32 characters (a-z, 2-7; never '-').
func NewInboundToken() string {
	b := make([]byte, TokenBytes)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand.Read never fails on supported platforms (Go 1.24+).
		panic(fmt.Sprintf("smtpin: crypto/rand: %v", err))
	}
	return tokenEncoding.EncodeToString(b)
}

// InboundAddress is the address a customer forwards a channel's mail to:
// <company-slug>-<token>@<domain>, lowercased.
func InboundAddress(companySlug, token, domain string) string {
	return strings.ToLower(companySlug + "-" + token + "@" + normDomain(domain))
}

// ParseInboundAddress splits an inbound address into company slug and
// token, case-insensitively. ok is false when addr is not at domain or is
// not of the form <slug>-<token>. A "+detail" (plus-address of a reply
// token) is ignored.
func ParseInboundAddress(addr, domain string) (slug, token string, ok bool) {
	addr = strings.ToLower(strings.TrimSpace(addr))
	addr = strings.TrimSuffix(strings.TrimPrefix(addr, "<"), ">")
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || normDomain(addr[at+1:]) != normDomain(domain) || normDomain(domain) == "" {
		return "", "", false
	}
	local := addr[:at]
	if plus := strings.IndexByte(local, '+'); plus >= 0 {
		local = local[:plus]
	}
	dash := strings.LastIndexByte(local, '-')
	if dash <= 0 || dash == len(local)-1 {
		return "", "", false
	}
	slug, token = local[:dash], local[dash+1:]
	if !model.ValidSlug(slug) {
		return "", "", false
	}
	for _, c := range token {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return "", "", false
		}
	}
	return slug, token, true
}

func normDomain(d string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
}

// ChannelUpdater is what RegenerateAddress needs from the store.
type ChannelUpdater interface {
	GetCompany(ctx context.Context, id int64) (*model.Company, error)
	GetChannel(ctx context.Context, companyID, id int64) (*model.Channel, error)
	UpdateChannel(ctx context.Context, c *model.Channel) error
}

// RegenerateAddress gives a channel a new inbound token (for example after
// its address leaked to spammers) and returns the new inbound address at
// domain. From then on the old address is refused with 550 5.1.1.
func RegenerateAddress(ctx context.Context, st ChannelUpdater, domain string, companyID, channelID int64) (string, error) {
	co, err := st.GetCompany(ctx, companyID)
	if err != nil {
		return "", fmt.Errorf("smtpin: regenerate address: %w", err)
	}
	ch, err := st.GetChannel(ctx, companyID, channelID)
	if err != nil {
		return "", fmt.Errorf("smtpin: regenerate address: %w", err)
	}
	for attempt := 0; ; attempt++ {
		ch.InboundToken = NewInboundToken()
		err = st.UpdateChannel(ctx, ch)
		// A collision of 80-bit tokens is practically impossible; retry anyway.
		if errors.Is(err, store.ErrConflict) && attempt < 3 {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("smtpin: regenerate address of channel %d: %w", channelID, err)
		}
		return InboundAddress(co.Slug, ch.InboundToken, domain), nil
	}
}
