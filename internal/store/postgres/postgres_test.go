package postgres_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/postgres"
	"github.com/atende-helpdesk/atende/internal/store/storetest"
	"github.com/atende-helpdesk/atende/internal/testutil/pgtest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clk clock.Clock) store.Store {
		db, err := postgres.Open(context.Background(), pgtest.NewDatabase(t), clk)
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

func TestBadURL(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=2", clock.System{})
	if err == nil {
		t.Fatal("want error for unreachable server")
	}
}

// migrated is a new database with every migration applied, opened with
// plain database/sql to look at the schema itself.
func migrated(t *testing.T) *sql.DB {
	t.Helper()
	url := pgtest.NewDatabase(t)
	db, err := postgres.Open(context.Background(), url, clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// TestBodiesLZ4: migration 0014 makes the message bodies lz4-compressed
// (the local server is built with lz4).
func TestBodiesLZ4(t *testing.T) {
	raw := migrated(t)
	for _, col := range []string{"text_body", "html_body", "reply_text"} {
		var c string
		if err := raw.QueryRowContext(context.Background(), "SELECT attcompression::text FROM pg_attribute WHERE attrelid = 'messages'::regclass AND attname = $1", col).Scan(&c); err != nil {
			t.Fatal(err)
		}
		if c != "l" {
			t.Errorf("%s compression = %q, want l (lz4)", col, c)
		}
	}
}

// TestFoldSameAsBefore: atende_fold (migration 0027: replace() instead of
// translate()) gives byte for byte what the first definition (0012) gave,
// so the indexes built on it stay valid: accents, case, the seven
// separators, multibyte neighbours of them, ligatures, empty and NULL.
func TestFoldSameAsBefore(t *testing.T) {
	raw := migrated(t)
	var src string
	if err := raw.QueryRowContext(context.Background(), "SELECT prosrc FROM pg_proc WHERE proname = 'atende_fold'").Scan(&src); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(src, "translate(") {
		t.Fatalf("atende_fold is still the translate() definition: %s", src)
	}
	const before = `translate(lower(public.unaccent('public.unaccent'::regdictionary, $1)), '@./_-+:', '       ')`
	for _, s := range []string{
		"Ana.Paraná+suporte@Exemplo.COM.br", "/var/mail/joão_silva-2024:03", "ÇÃO ÆØÅ ß ﬁ ½ Ω", "",
		"…@…/…–—•:é.ü", "日本語.テスト@例え.jp", "a..b@@c//d__e--f++g::h", "\t\r\n. .",
	} {
		var now, was sql.NullString
		if err := raw.QueryRowContext(context.Background(), "SELECT atende_fold($1), "+before, s).Scan(&now, &was); err != nil {
			t.Fatal(err)
		}
		if now != was {
			t.Errorf("atende_fold(%q) = %q, was %q", s, now.String, was.String)
		}
	}
	var null sql.NullString
	if err := raw.QueryRowContext(context.Background(), "SELECT atende_fold(NULL)").Scan(&null); err != nil || null.Valid {
		t.Errorf("atende_fold(NULL) = %v, %v; want NULL", null, err)
	}
	if err := raw.QueryRowContext(context.Background(), "SELECT atende_fold('Olá.Mundo')").Scan(&null); err != nil || null.String != "ola mundo" {
		t.Errorf("atende_fold('Olá.Mundo') = %q, %v", null.String, err)
	}
}
