package oauth

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/oauth/oauthtest"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
)

// A connection that signed in as the channel's mailbox is applied at once;
// one that signed in as another account waits for the admin and changes
// nothing until accepted; a dropped or stale one is gone.
func TestConnectMismatchWaitsForTheAdmin(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"), clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	box, _ := secrets.NewBox(secrets.NewKey())
	as := oauthtest.New(t, "x@contoso.test")
	clock := clockAt
	tokens := &Tokens{Box: box, Store: st, Now: func() time.Time { return clock }}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	co := &model.Company{Slug: "contoso", Name: "Contoso"}
	must(st.CreateCompany(ctx, co))
	ch := &model.Channel{CompanyID: co.ID, Slug: "vendas", Name: "Vendas", Enabled: true, Incoming: model.ConnExternal, Outgoing: model.ConnExternal,
		InboundToken: "v", Settings: model.ChannelSettings{Provider: "office365", PrimaryEmail: "Vendas@contoso.test", AdditionalEmails: []string{"sales@contoso.test"}}}
	must(st.CreateChannel(ctx, ch))
	result := func(email string) *Result {
		return &Result{CompanyID: co.ID, ChannelID: ch.ID, Provider: "microsoft", Email: email, Token: as.IssueScopes(email, Microsoft.Scopes...)}
	}

	// The personal account instead of the shared mailbox: pending.
	out, err := tokens.Connect(ctx, result("joao@contoso.test"))
	must(err)
	if out.Pending == nil || out.Pending.Email != "joao@contoso.test" || out.Pending.Expected != "vendas@contoso.test" {
		t.Fatalf("outcome %+v", out)
	}
	got, _ := st.GetChannel(ctx, co.ID, ch.ID)
	if got.Settings.IMAP.Username != "" || got.Settings.IMAP.Auth == AuthOAuth {
		t.Fatalf("channel changed before the admin decided: %+v", got.Settings.IMAP)
	}
	if _, err := st.GetSecret(ctx, co.ID, ch.ID, secrets.OAuthToken); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("live token stored for a mismatched account: %v", err)
	}
	p, err := tokens.Pending(ctx, co.ID, ch.ID)
	if err != nil || p.Email != "joao@contoso.test" || p.Token.RefreshToken == "" {
		t.Fatalf("pending %+v %v", p, err)
	}
	if sec, err := st.GetSecret(ctx, co.ID, ch.ID, PendingSecret); err != nil || strings.Contains(string(sec.Ciphertext), p.Token.RefreshToken) ||
		strings.Contains(string(sec.Ciphertext), "joao@") {
		t.Fatalf("pending stored in clear (%v)", err)
	}

	// Accepted: the account becomes the channel's login.
	got, err = tokens.AcceptPending(ctx, co.ID, ch.ID)
	must(err)
	s := got.Settings
	if s.IMAP.Username != "joao@contoso.test" || s.SMTP.Username != "joao@contoso.test" || s.IMAP.Auth != AuthOAuth ||
		s.IMAP.Host != "outlook.office365.com" || s.PrimaryEmail != "Vendas@contoso.test" {
		t.Fatalf("accepted: %+v", s)
	}
	if tok, err := tokens.Access(ctx, co.ID, ch.ID, false); err != nil || tok != p.Token.AccessToken {
		t.Fatalf("live token after accept: %q %v", tok, err)
	}
	if _, err := tokens.Pending(ctx, co.ID, ch.ID); !errors.Is(err, ErrNoPending) {
		t.Fatalf("pending after accept: %v", err)
	}
	if _, err := tokens.AcceptPending(ctx, co.ID, ch.ID); !errors.Is(err, ErrNoPending) {
		t.Fatalf("accept twice: %v", err)
	}

	// The channel's own addresses (primary in another case, additional,
	// the current login) connect at once.
	for _, email := range []string{"vendas@contoso.test", "sales@contoso.test", "joao@contoso.test"} {
		out, err := tokens.Connect(ctx, result(email))
		if err != nil || out.Pending != nil {
			t.Fatalf("%s: %+v %v", email, out, err)
		}
	}
	got, _ = st.GetChannel(ctx, co.ID, ch.ID)
	if got.Settings.IMAP.Username != "joao@contoso.test" {
		t.Fatalf("login %q", got.Settings.IMAP.Username)
	}

	// Dropped, and expired after PendingTTL.
	_, err = tokens.Connect(ctx, result("maria@fabrikam.test"))
	must(err)
	must(tokens.DiscardPending(ctx, co.ID, ch.ID))
	must(tokens.DiscardPending(ctx, co.ID, ch.ID)) // nothing left: fine
	if _, err := tokens.Pending(ctx, co.ID, ch.ID); !errors.Is(err, ErrNoPending) {
		t.Fatalf("pending after discard: %v", err)
	}
	_, err = tokens.Connect(ctx, result("maria@fabrikam.test"))
	must(err)
	clock = clock.Add(PendingTTL + time.Second)
	if _, err := tokens.Pending(ctx, co.ID, ch.ID); !errors.Is(err, ErrNoPending) {
		t.Fatalf("stale pending: %v", err)
	}
	if _, err := st.GetSecret(ctx, co.ID, ch.ID, PendingSecret); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("stale pending kept: %v", err)
	}

	// A channel without any address takes the first account as it is.
	empty := &model.Channel{CompanyID: co.ID, Slug: "novo", Name: "Novo", Enabled: true, Incoming: model.ConnExternal, Outgoing: model.ConnExternal, InboundToken: "n"}
	must(st.CreateChannel(ctx, empty))
	r := result("novo@contoso.test")
	r.ChannelID = empty.ID
	out, err = tokens.Connect(ctx, r)
	if err != nil || out.Pending != nil || out.Channel.Settings.PrimaryEmail != "novo@contoso.test" || out.Channel.Settings.FromEmail != "novo@contoso.test" {
		t.Fatalf("new channel: %+v %v", out, err)
	}
}
