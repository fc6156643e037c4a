package ui

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/language"

	"github.com/atende-helpdesk/atende/internal/directory"
)

// The two languages the code itself names; every other locale comes only
// from its catalog file.
const (
	LangPT = "pt-BR" // the default
	LangEN = "en"
)

// The catalogs: one JSON file per locale in locale/ (key → message, the
// format miniflux uses), embedded in the binary. A translator adds a
// language by adding a file: its name is the BCP 47 tag, its key
// "language.name" the label in the language menus. Every file must have
// exactly the keys of pt-BR.json (TestCatalogParity).
//
//go:embed locale/*.json
var localeFS embed.FS

// catalogs is every locale's messages, parsed once from localeFS.
type catalogs struct {
	langs   []string // LangPT first, then the others sorted
	msgs    map[string]map[string]string
	matcher language.Matcher
}

// catalog and the language list are immutable after start-up.
var (
	cats    = mustLoadCatalogs(localeFS)
	catalog = cats.msgs
)

// Languages are the locales the UI has catalogs for, the default first.
func Languages() []string { return append([]string(nil), cats.langs...) }

func mustLoadCatalogs(fsys fs.FS) catalogs {
	c, err := loadCatalogs(fsys)
	if err != nil {
		panic("ui: " + err.Error())
	}
	return c
}

func loadCatalogs(fsys fs.FS) (catalogs, error) {
	names, err := fs.Glob(fsys, "locale/*.json")
	if err != nil {
		return catalogs{}, err
	}
	c := catalogs{msgs: map[string]map[string]string{}}
	for _, name := range names {
		lang := strings.TrimSuffix(path.Base(name), ".json")
		tag, err := language.Parse(lang)
		if err != nil {
			return catalogs{}, fmt.Errorf("catalog %s: not a language tag: %w", name, err)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return catalogs{}, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return catalogs{}, fmt.Errorf("catalog %s: %w", name, err)
		}
		if m["language.name"] == "" {
			return catalogs{}, fmt.Errorf("catalog %s: no \"language.name\"", name)
		}
		c.msgs[lang] = m
		if lang != LangPT {
			c.langs = append(c.langs, tag.String())
		}
	}
	if _, ok := c.msgs[LangPT]; !ok {
		return catalogs{}, fmt.Errorf("no catalog for the default language %s", LangPT)
	}
	sort.Strings(c.langs)
	c.langs = append([]string{LangPT}, c.langs...)
	tags := make([]language.Tag, len(c.langs))
	for i, l := range c.langs {
		tags[i] = language.MustParse(l)
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

// Localizer translates for one language.
type Localizer struct{ Lang string }

// T returns the message for key, formatted with args; an unknown key
// renders as "!key" so a missing translation is visible (and tested).
func (l Localizer) T(key string, args ...any) string {
	s, ok := catalog[l.Lang][key]
	if !ok {
		return "!" + key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Status translates a ticket status.
func (l Localizer) Status(s any) string { return l.T(fmt.Sprintf("status.%s", s)) }

// pickLanguage is the agent's setting when valid, else the best match of
// Accept-Language among the catalogs, else pt-BR.
func pickLanguage(agentLang string, r *http.Request) string {
	if _, ok := catalog[agentLang]; ok && agentLang != "" {
		return agentLang
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			_, idx, conf := cats.matcher.Match(tags...)
			if conf != language.No {
				return cats.langs[idx]
			}
		}
	}
	return LangPT
}

var (
	reAtLeast = regexp.MustCompile(`^must be at least (\d+) characters$`)
	reAtMost  = regexp.MustCompile(`^must be at most (\d+ \w+)$`)
)

// fieldMessage translates a directory/ticket validation message.
func (l Localizer) fieldMessage(msg string) string {
	if t, ok := securityFieldMessage(l, msg); ok {
		return t
	}
	switch {
	case msg == "required":
		return l.T("err.required")
	case strings.HasPrefix(msg, "must be an email address"):
		return l.T("err.email")
	case strings.HasPrefix(msg, "use 1 to 63 lowercase"):
		return l.T("err.slug")
	case msg == "already in use":
		return l.T("err.in_use")
	case msg == "no such team":
		return l.T("err.no_team")
	case msg == "no such active agent":
		return l.T("err.no_agent")
	case strings.HasPrefix(msg, "must be open, pending"):
		return l.T("err.status")
	case strings.HasPrefix(msg, "must be a time zone"):
		return l.T("err.time_zone")
	case strings.HasPrefix(msg, "must be low, normal"):
		return l.T("err.priority")
	case strings.HasPrefix(msg, "at most 20 tags") || strings.HasPrefix(msg, "each tag at most"):
		return l.T("err.tags")
	case msg == "attachments exceed 25 MB":
		return l.T("ticket.err_attach_size")
	case msg == "no such ticket":
		return l.T("ticket.err_no_ticket")
	case msg == "cannot merge a ticket into itself":
		return l.T("ticket.err_merge_self")
	case msg == "not one of your tickets":
		return l.T("ticket.err_merge_not_yours")
	case msg == "that ticket was itself merged into another":
		return l.T("ticket.err_merge_chained")
	case msg == "this ticket was already merged":
		return l.T("ticket.err_merge_done")
	}
	if m := reAtLeast.FindStringSubmatch(msg); m != nil {
		return l.T("err.password_short", m[1])
	}
	if m := reAtMost.FindStringSubmatch(msg); m != nil {
		n, unit, _ := strings.Cut(m[1], " ")
		if l.Lang == LangPT {
			unit = map[string]string{"characters": "caracteres", "bytes": "bytes", "addresses": "endereços"}[unit]
		}
		return l.T("err.too_long", n+" "+unit)
	}
	return l.T("err.invalid", msg)
}

// fieldErrors maps a validation error to translated messages by field.
func (l Localizer) fieldErrors(v directory.ValidationError) map[string]string {
	out := map[string]string{}
	for _, fe := range v {
		if _, dup := out[fe.Field]; !dup {
			out[fe.Field] = l.fieldMessage(fe.Message)
		}
	}
	return out
}

// itoa is strconv.FormatInt for templates.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }
