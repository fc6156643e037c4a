package oauth

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/oauth/oauthtest"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
)

func TestProviderFor(t *testing.T) {
	cases := []struct {
		name     string
		ch       model.Channel
		provider string
		imap     bool // UsesOAuth
		smtp     bool // SMTPUsesOAuth
	}{
		{"gmail oauth", model.Channel{Enabled: true, Outgoing: model.ConnExternal, Settings: model.ChannelSettings{Provider: "gmail",
			IMAP: model.ServerConf{Auth: "oauth"}}}, "google", true, true},
		{"gmail password", model.Channel{Outgoing: model.ConnExternal, Settings: model.ChannelSettings{Provider: "gmail",
			IMAP: model.ServerConf{Auth: "password"}}}, "google", false, false},
		{"imap oauth, smtp password", model.Channel{Outgoing: model.ConnExternal, Settings: model.ChannelSettings{Provider: "office365",
			IMAP: model.ServerConf{Auth: "oauth"}, SMTP: model.ServerConf{Auth: "password"}}}, "microsoft", true, false},
		{"office365 connection", model.Channel{Outgoing: model.ConnOffice365}, "microsoft", true, true},
		{"outlook.com", model.Channel{Settings: model.ChannelSettings{Provider: "outlook"}}, "microsoft", false, false},
		{"other host", model.Channel{Settings: model.ChannelSettings{Provider: "other", IMAP: model.ServerConf{Auth: "oauth"}}}, "", true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ProviderFor(&tc.ch); got != tc.provider {
				t.Errorf("ProviderFor = %q, want %q", got, tc.provider)
			}
			if got := UsesOAuth(&tc.ch); got != tc.imap {
				t.Errorf("UsesOAuth = %v", got)
			}
			if got := SMTPUsesOAuth(&tc.ch); got != tc.smtp {
				t.Errorf("SMTPUsesOAuth = %v", got)
			}
		})
	}
}

func TestCheckChannels(t *testing.T) {
	cs := NewClients("https://atende.example/", nil, "gid", "gsecret", "", "")
	if c, err := cs.For("google"); err != nil || c.RedirectURL != "https://atende.example/oauth/callback" || c.Provider.ID != "google" {
		t.Fatalf("google client %+v %v", c, err)
	}
	gmail := model.Channel{ID: 1, Slug: "gmail", Enabled: true, Settings: model.ChannelSettings{Provider: "gmail", IMAP: model.ServerConf{Auth: "oauth"}}}
	o365 := model.Channel{ID: 2, Slug: "vendas", Enabled: true, Outgoing: model.ConnOffice365}
	disabled := o365
	disabled.Enabled = false
	weird := model.Channel{ID: 3, Slug: "weird", Enabled: true, Settings: model.ChannelSettings{Provider: "yahoo", IMAP: model.ServerConf{Auth: "oauth"}}}
	if err := cs.CheckChannels([]model.Channel{gmail, disabled}); err != nil {
		t.Fatalf("configured: %v", err)
	}
	err := cs.CheckChannels([]model.Channel{gmail, o365, weird})
	if !errors.Is(err, ErrNotConfigured) || !strings.Contains(err.Error(), "channel 2 (vendas)") ||
		!strings.Contains(err.Error(), "ATENDE_MICROSOFT_CLIENT_ID") || !strings.Contains(err.Error(), "channel 3 (weird)") ||
		strings.Contains(err.Error(), "channel 1") {
		t.Fatalf("err = %v", err)
	}
}

// Tokens without a fixed Client refresh through the channel's provider.
func TestTokensPickClientByChannel(t *testing.T) {
	ctx := context.Background()
	as := oauthtest.New(t, "vendas@acme.test")
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"), clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	box, _ := secrets.NewBox(secrets.NewKey())
	co := &model.Company{Slug: "acme", Name: "ACME"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateCompany(ctx, co))
	ms := &model.Channel{CompanyID: co.ID, Slug: "v", Name: "V", Enabled: true, Incoming: model.ConnExternal, Outgoing: model.ConnOffice365, InboundToken: "v"}
	gm := &model.Channel{CompanyID: co.ID, Slug: "g", Name: "G", Enabled: true, Incoming: model.ConnExternal, Outgoing: model.ConnExternal, InboundToken: "g",
		Settings: model.ChannelSettings{Provider: "gmail"}}
	must(st.CreateChannel(ctx, ms))
	must(st.CreateChannel(ctx, gm))
	tokens := &Tokens{Box: box, Store: st, Clients: Clients{"microsoft": &Client{Provider: Provider{ID: "microsoft", Endpoint: as.Endpoint(), UserInfoURL: as.UserInfoURL()},
		ClientID: oauthtest.ClientID, ClientSecret: oauthtest.ClientSecret}}}
	must(tokens.Save(ctx, co.ID, ms.ID, as.Issue("vendas@acme.test")))
	must(tokens.Save(ctx, co.ID, gm.ID, as.Issue("g@acme.test")))
	tok, err := tokens.Access(ctx, co.ID, ms.ID, true)
	if err != nil || !as.Active(tok) || as.Refreshes() != 1 {
		t.Fatalf("office365 refresh: %q %v (refreshes %d)", tok, err, as.Refreshes())
	}
	if _, err := tokens.Access(ctx, co.ID, gm.ID, true); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("gmail without a google client: %v", err)
	}
}
