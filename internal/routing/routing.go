package routing

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// FilterKind says what a filter looks at.
type FilterKind string

// Filter kinds.
const (
	SenderAddress    FilterKind = "sender_address"
	SenderDomain     FilterKind = "sender_domain"
	RecipientAddress FilterKind = "recipient_address"
	SubjectContains  FilterKind = "subject_contains"
	BodyContains     FilterKind = "body_contains"
)

// Kinds lists every filter kind, in the order the UI offers them.
var Kinds = []FilterKind{SenderAddress, SenderDomain, RecipientAddress, SubjectContains, BodyContains}

// Valid reports whether k is a known filter kind.
func (k FilterKind) Valid() bool {
	switch k {
	case SenderAddress, SenderDomain, RecipientAddress, SubjectContains, BodyContains:
		return true
	}
	return false
}

// Ticket priorities. The empty string in an Action means "keep the default",
// which is PriorityNormal.
const (
	PriorityLow    = "low"
	PriorityNormal = "normal"
	PriorityHigh   = "high"
	PriorityUrgent = "urgent"
)

// ValidPriority reports whether p is "" or one of the four priorities.
func ValidPriority(p string) bool {
	switch p {
	case "", PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent:
		return true
	}
	return false
}

// Action is what a matching filter does to the new ticket.
type Action struct {
	TeamID             int64    // 0 = keep the rule's default team
	AssigneeID         int64    // 0 = nobody
	Priority           string   // "", "low", "normal", "high", "urgent"; "" = normal
	Tags               []string // added to the ticket
	SendInitialMessage *bool    // nil = rule default
}

// Filter is one "+" row of a rule.
type Filter struct {
	Kind   FilterKind
	Value  string
	Action Action
}

// Rule is a channel's routing rule.
type Rule struct {
	DefaultTeamID      int64
	Filters            []Filter // ordered; first match wins
	SendInitialMessage bool
	InitialMessage     string
}

// Input is what a rule looks at in an incoming message. Addresses may be in
// any case and may carry a display name ("Ana <ana@x.com>"). Subject is the
// decoded subject; Body is the plain-text body (HTML already converted).
type Input struct {
	From       string
	Recipients []string // To, Cc, Delivered-To, X-Original-To
	Subject    string
	Body       string
}

// Decision is where the new ticket goes.
type Decision struct {
	TeamID             int64
	AssigneeID         int64
	Priority           string
	Tags               []string
	SendInitialMessage bool
	MatchedFilter      int // index into Rule.Filters, -1 when no filter matched
}

// MaxBodyBytes is how much of the body body_contains searches.
const MaxBodyBytes = 1 << 20

// Evaluate applies the rule to a message. It never fails: filters that
// Validate would reject are skipped.
func Evaluate(r Rule, in Input) Decision {
	d := Decision{
		TeamID:             r.DefaultTeamID,
		Priority:           PriorityNormal,
		SendInitialMessage: r.SendInitialMessage,
		MatchedFilter:      -1,
	}
	m := &message{in: in}
	for i, f := range r.Filters {
		if len(filterErrors(nil, "", f)) > 0 || !m.matches(f) {
			continue
		}
		a := f.Action
		d.MatchedFilter = i
		if a.TeamID != 0 {
			d.TeamID = a.TeamID
		}
		d.AssigneeID = a.AssigneeID
		if a.Priority != "" {
			d.Priority = a.Priority
		}
		d.Tags = cleanTags(a.Tags)
		if a.SendInitialMessage != nil {
			d.SendInitialMessage = *a.SendInitialMessage
		}
		break
	}
	if strings.TrimSpace(r.InitialMessage) == "" {
		d.SendInitialMessage = false
	}
	return d
}

// message caches the normalized parts of an Input; each is computed the
// first time a filter needs it.
type message struct {
	in Input

	fromDone     bool
	from, domain string

	rcptDone bool
	rcpts    []string

	subjDone, bodyDone bool
	subj, body         string
}

func (m *message) matches(f Filter) bool {
	switch f.Kind {
	case SenderAddress:
		m.loadFrom()
		return m.from != "" && m.from == normAddress(f.Value)
	case SenderDomain:
		m.loadFrom()
		d := normDomain(f.Value)
		return m.domain != "" && d != "" && (m.domain == d || strings.HasSuffix(m.domain, "."+d))
	case RecipientAddress:
		if !m.rcptDone {
			m.rcptDone = true
			for _, r := range m.in.Recipients {
				if a := stripDetail(normAddress(r)); a != "" {
					m.rcpts = append(m.rcpts, a)
				}
			}
		}
		want := stripDetail(normAddress(f.Value))
		for _, r := range m.rcpts {
			if r == want {
				return true
			}
		}
		return false
	case SubjectContains:
		if !m.subjDone {
			m.subjDone = true
			m.subj = Fold(m.in.Subject)
		}
		return strings.Contains(m.subj, Fold(f.Value))
	case BodyContains:
		if !m.bodyDone {
			m.bodyDone = true
			m.body = Fold(truncate(m.in.Body, MaxBodyBytes))
		}
		return strings.Contains(m.body, Fold(f.Value))
	}
	return false
}

func (m *message) loadFrom() {
	if m.fromDone {
		return
	}
	m.fromDone = true
	m.from = normAddress(m.in.From)
	if at := strings.LastIndexByte(m.from, '@'); at > 0 {
		m.domain = normDomain(m.from[at+1:])
	}
}

// Fold returns s case-folded, decomposed (NFKD), without combining marks and
// with white space collapsed to single spaces, for accent- and
// case-insensitive substring matching: Fold("Cotação") == "cotacao".
//
// ASCII is lower-cased directly; only runs of non-ASCII characters go
// through the Unicode transformers, which keeps long mostly-ASCII bodies
// fast. Combining marks are dropped without their base character, so
// splitting at ASCII boundaries gives the same result as transforming the
// whole string.
func Fold(s string) string {
	var t transform.Transformer // built on the first non-ASCII run
	var memo map[string]string  // folded non-ASCII runs; text repeats "ã", "ç"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
			i++
			continue
		}
		j := i + 1
		for j < len(s) && s[j] >= utf8.RuneSelf {
			j++
		}
		run := s[i:j]
		out, ok := memo[run]
		if !ok {
			if t == nil {
				t = foldTransformer()
				memo = map[string]string{}
			}
			var err error
			out, _, err = transform.String(t, run)
			if err != nil {
				// The transformers do not fail on any input; keep the
				// text lower-cased if that ever changes.
				out = strings.ToLower(run)
			}
			memo[run] = out
		}
		b.WriteString(out)
		i = j
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// foldTransformer folds case, decomposes (NFKD) and removes combining
// marks; it repeats the steps because decomposition can reveal upper case
// ("ℂ" becomes "C") and folding can introduce marks ("İ" folds to "i̇").
func foldTransformer() transform.Transformer {
	return transform.Chain(
		cases.Fold(), norm.NFKD, runes.Remove(runes.In(unicode.Mn)),
		cases.Fold(), norm.NFKD, runes.Remove(runes.In(unicode.Mn)),
		norm.NFC,
	)
}

// normAddress reduces "Name <A@B>" or "<a@b>" to "a@b", trimmed and
// lowercased.
func normAddress(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j > 0 {
			s = s[i+1 : i+j]
		}
	}
	return strings.ToLower(strings.TrimSpace(s))
}

// stripDetail removes plus-address detail: "vendas+sp@x" -> "vendas@x".
func stripDetail(a string) string {
	at := strings.LastIndexByte(a, '@')
	if at < 0 {
		return a
	}
	if p := strings.IndexByte(a[:at], '+'); p > 0 {
		return a[:p] + a[at:]
	}
	return a
}

// normDomain lowercases a domain, drops a trailing dot and converts it to
// its ASCII (punycode) form; a domain IDNA rejects is kept lowercased.
func normDomain(d string) string {
	d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
	if a, err := idna.Lookup.ToASCII(d); err == nil {
		return a
	}
	return d
}

// cleanTags trims tags and drops empty and repeated ones (ignoring case),
// returning a fresh slice (nil when none).
func cleanTags(tags []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		k := strings.ToLower(t)
		if t == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, t)
	}
	return out
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
