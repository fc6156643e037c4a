package directory_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

func ptr[T any](v T) *T { return &v }

func TestChannelSettings(t *testing.T) {
	dialects(t, func(t *testing.T, st store.Store, d *directory.Service) {
		co, err := d.CreateCompany(ctx, directory.CompanyInput{Slug: "acme", Name: "ACME"})
		if err != nil {
			t.Fatal(err)
		}
		other, err := d.CreateCompany(ctx, directory.CompanyInput{Slug: "beta", Name: "Beta"})
		if err != nil {
			t.Fatal(err)
		}
		in := directory.ChannelInput{Slug: "vendas", Name: "Vendas", Incoming: model.ConnExternal, Outgoing: model.ConnExternal,
			PrimaryEmail: "Vendas@Gmail.com", SettingsPatch: directory.SettingsPatch{
				Signature:        ptr(`<p onclick="steal()">Equipe <b>Vendas</b><script>alert(1)</script></p>`),
				ShowQuote:        ptr(true),
				AdditionalEmails: []string{"Contato@acme.test"},
				FromName:         ptr(" ACME Vendas "),
				FromEmail:        ptr("vendas@gmail.com"),
				CarbonCopy:       ptr("arquivo@acme.test"),
				Provider:         ptr("gmail"),
				AccountKind:      ptr(model.AccountBusiness),
				Folders:          []string{"INBOX", " Vendas "},
				AfterImport:      ptr("move"),
				MoveTo:           ptr("Importados"),
				HistoryDays:      ptr(30),
			}}
		ch, err := d.CreateChannel(ctx, co.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.GetChannel(ctx, co.ID, ch.ID)
		if err != nil {
			t.Fatal(err)
		}
		s := got.Settings
		want := model.ChannelSettings{Signature: "<p>Equipe <b>Vendas</b></p>", ShowQuote: true, PrimaryEmail: "vendas@gmail.com",
			AdditionalEmails: []string{"contato@acme.test"}, FromName: "ACME Vendas", FromEmail: "vendas@gmail.com", CarbonCopy: "arquivo@acme.test",
			Provider: "gmail", AccountKind: model.AccountBusiness,
			IMAP:    model.ServerConf{Host: "imap.gmail.com", Port: 993, Encryption: "tls", Username: "vendas@gmail.com", Auth: "password"},
			SMTP:    model.ServerConf{Host: "smtp.gmail.com", Port: 465, Encryption: "tls", Username: "vendas@gmail.com", Auth: "password"},
			Folders: []string{"INBOX", "Vendas"}, AfterImport: "move", MoveTo: "Importados", HistoryDays: 30}
		if !reflect.DeepEqual(s, want) {
			t.Fatalf("stored settings\n got %+v\nwant %+v", s, want)
		}

		// An internal channel gets the default folder and no presets.
		internal, err := d.CreateChannel(ctx, co.ID, directory.ChannelInput{Slug: "suporte", Name: "Suporte", PrimaryEmail: "suporte@acme.test"})
		if err != nil {
			t.Fatal(err)
		}
		if internal.Settings.IMAP != (model.ServerConf{}) || !reflect.DeepEqual(internal.Settings.Folders, []string{"INBOX"}) {
			t.Fatalf("internal settings %+v", internal.Settings)
		}

		cases := []struct {
			name string
			in   directory.ChannelInput
			want []string
		}{
			{"external needs imap host", directory.ChannelInput{Slug: "x1", Name: "X", Incoming: model.ConnExternal, PrimaryEmail: "x@acme.test"},
				[]string{"imap.host", "imap.port"}},
			{"external sending needs smtp host", directory.ChannelInput{Slug: "x1", Name: "X", Outgoing: model.ConnExternal, PrimaryEmail: "x@acme.test"},
				[]string{"smtp.host", "smtp.port"}},
			{"bad values", directory.ChannelInput{Slug: "x2", Name: "X", Incoming: model.ConnExternal, PrimaryEmail: "x@acme.test",
				SettingsPatch: directory.SettingsPatch{AdditionalEmails: []string{"nope", "X@acme.test"}, FromEmail: ptr("a b"), CarbonCopy: ptr("@"),
					Provider: ptr("pombo"), AccountKind: ptr(model.AccountKind("family")), DailyQuota: ptr(-5),
					IMAP:    &model.ServerConf{Host: "imap.acme.test", Port: 70000, Encryption: "ssl", Auth: "kerberos"},
					SMTP:    &model.ServerConf{Host: "smtp acme", Port: 25, Encryption: "none"},
					Folders: []string{"INBOX", "", "INBOX"}, AfterImport: ptr("delete"), HistoryDays: ptr(-2)}},
				[]string{"additional_emails[0]", "additional_emails[1]", "from_email", "carbon_copy", "provider", "account_kind", "daily_quota",
					"imap.port", "imap.encryption", "imap.auth", "smtp.host", "smtp.encryption", "folders[1]", "folders[2]", "after_import", "history_days"}},
			{"move needs a folder", directory.ChannelInput{Slug: "x3", Name: "X", PrimaryEmail: "x@acme.test",
				SettingsPatch: directory.SettingsPatch{AfterImport: ptr("move")}}, []string{"move_to"}},
			{"slug taken", directory.ChannelInput{Slug: "vendas", Name: "X", PrimaryEmail: "x@acme.test"}, []string{"slug"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := d.CreateChannel(ctx, co.ID, tc.in)
				got := fields(t, err)
				if len(got) != len(tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
				for _, f := range tc.want {
					if got[f] == "" {
						t.Fatalf("no error for %s in %v", f, got)
					}
				}
			})
		}

		// Encryption none is accepted with the explicit confirmation.
		plain := directory.ChannelInput{Slug: "plain", Name: "Plain", Incoming: model.ConnExternal, PrimaryEmail: "p@acme.test",
			SettingsPatch: directory.SettingsPatch{IMAP: &model.ServerConf{Host: "127.0.0.1", Port: 143, Encryption: "none"}, AllowInsecure: true}}
		pc, err := d.CreateChannel(ctx, co.ID, plain)
		if err != nil {
			t.Fatal(err)
		}
		if pc.Settings.IMAP.Encryption != "none" || pc.Settings.IMAP.Username != "p@acme.test" {
			t.Fatalf("plain imap %+v", pc.Settings.IMAP)
		}

		// PATCH changes only what it names, and validates the result.
		up, err := d.UpdateChannel(ctx, co.ID, ch.ID, directory.ChannelPatch{SettingsPatch: directory.SettingsPatch{ShowQuote: ptr(false), Folders: []string{}, AfterImport: ptr("mark_read")}})
		if err != nil {
			t.Fatal(err)
		}
		if up.Settings.ShowQuote || up.Settings.Signature != want.Signature || up.Settings.MoveTo != "" || up.Settings.AfterImport != "mark_read" ||
			!reflect.DeepEqual(up.Settings.Folders, []string{"INBOX"}) || up.Settings.IMAP != want.IMAP {
			t.Fatalf("patched %+v", up.Settings)
		}
		_, err = d.UpdateChannel(ctx, co.ID, internal.ID, directory.ChannelPatch{Incoming: ptr(model.ConnExternal), PrimaryEmail: ptr("bad")})
		if f := fields(t, err); len(f) != 3 || f["primary_email"] == "" || f["imap.host"] == "" {
			t.Fatalf("patch errors %v", f)
		}
		_, err = d.UpdateChannel(ctx, co.ID, internal.ID, directory.ChannelPatch{Incoming: ptr(model.ConnExternal)})
		if f := fields(t, err); len(f) != 2 || f["imap.host"] == "" {
			t.Fatalf("switch to external without imap: %v", f)
		}
		if _, err := d.UpdateChannel(ctx, other.ID, ch.ID, directory.ChannelPatch{Name: ptr("x")}); !errors.Is(err, directory.ErrNotFound) {
			t.Fatalf("other company's channel: %v", err)
		}

		// Connection settings overlay the stored channel; nothing is stored.
		cs, err := d.ConnectionSettings(ctx, co.ID, ch.ID, directory.ChannelPatch{SettingsPatch: directory.SettingsPatch{
			IMAP: &model.ServerConf{Host: "127.0.0.1", Port: 1143, Encryption: "none", Username: "u"}, AllowInsecure: true}})
		if err != nil {
			t.Fatal(err)
		}
		if cs.Settings.IMAP.Host != "127.0.0.1" || cs.Settings.Provider != "gmail" || cs.Incoming != model.ConnExternal {
			t.Fatalf("connection settings %+v", cs)
		}
		again, _ := d.GetChannel(ctx, co.ID, ch.ID)
		if again.Settings.IMAP.Host != "imap.gmail.com" {
			t.Fatalf("connection test stored settings: %+v", again.Settings.IMAP)
		}
		if _, err := d.ConnectionSettings(ctx, other.ID, ch.ID, directory.ChannelPatch{}); fields(t, err)["channel_id"] == "" {
			t.Fatalf("foreign channel id: %v", err)
		}
		if _, err := d.ConnectionSettings(ctx, co.ID, 0, directory.ChannelPatch{}); fields(t, err)["imap.host"] == "" {
			t.Fatalf("empty connection test: %v", err)
		}
	})
}
