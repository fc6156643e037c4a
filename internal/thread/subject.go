package thread

import (
	"regexp"
	"strconv"
	"strings"
)

// tagRE matches our subject tag: "[#" a positive decimal of at most 18 digits
// (always fits an int64) without leading zeros, "]".
var tagRE = regexp.MustCompile(`\[#([1-9][0-9]{0,17})\]`)

// Subject prefixes, lowercase, without the colon.
//
// Reply: Re (en, and most languages), RES (pt-BR Outlook), AW (de), SV (sv,
// da, no), R (it), Antw (nl), VS (fi).
// Forward: Fwd/Fw (en), Enc and Encaminhada/Encaminhado (pt-BR), TR (fr), WG
// (de), RV (es), I (it), Doorst (nl), VL (fi).
var (
	replyPrefixes   = []string{"re", "res", "aw", "sv", "r", "antw", "vs"}
	forwardPrefixes = []string{"fwd", "fw", "enc", "encaminhada", "encaminhado", "tr", "wg", "rv", "i", "doorst", "vl"}
)

// prefixRE matches one leading reply or forward prefix: the word, an optional
// counter ("Re[2]:", "Re(2):", "RE^2:"), optional spaces before the colon
// (French "TR :"), an ASCII or full-width colon, and the spaces after it.
var prefixRE = regexp.MustCompile(`^\s*(?i:(` + strings.Join(append(append([]string{}, replyPrefixes...), forwardPrefixes...), "|") + `))\s*(?:\[\d{1,4}\]|\(\d{1,4}\)|\^\d{1,4})?\s*[:：]\s*`)

// MaxTagNumber is the largest ticket number a subject tag can carry.
const MaxTagNumber = 999_999_999_999_999_999

// SubjectTag returns the tag Atende may add to outbound subjects for ticket
// number n: SubjectTag(1234) == "[#1234]". It returns "" for n <= 0 and for
// n > MaxTagNumber (18 digits), which TagFromSubject would not accept.
func SubjectTag(n int64) string {
	if n <= 0 || n > MaxTagNumber {
		return ""
	}
	return "[#" + strconv.FormatInt(n, 10) + "]"
}

// TagFromSubject returns the ticket number of the first "[#<n>]" tag in the
// subject, wherever it is (so "Re: Fwd: [#1234] Invoice" and
// "Invoice [#1234]" both work). Only this exact form is accepted; see the
// package documentation for why "Ticket#1234" and "#1234" are not.
func TagFromSubject(subject string) (int64, bool) {
	m := tagRE.FindStringSubmatch(subject)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n <= 0 { // unreachable with tagRE, kept as a guard
		return 0, false
	}
	return n, true
}

// NormalizeSubject returns the subject without reply/forward prefixes (Re:,
// RES:, AW:, SV:, R:, Fwd:, Fw:, Enc:, Encaminhada:, TR:, WG:, RV:, I:, ...,
// any case, repeated, with counters like "Re[2]:"), without our "[#n]" tags
// wherever they are, and with runs of white space collapsed to one space.
// It is idempotent. It is meant for display and comparison; Resolve never
// joins tickets by subject.
func NormalizeSubject(s string) string {
	for {
		prev := s
		s = tagRE.ReplaceAllString(s, " ")
		for {
			loc := prefixRE.FindStringIndex(s)
			if loc == nil {
				break
			}
			s = s[loc[1]:]
		}
		s = strings.Join(strings.Fields(s), " ")
		if s == prev {
			return s
		}
	}
}

// IsForward reports whether the subject's outermost prefix is a forward
// prefix ("Fwd: Re: x" is a forward; "Re: Fwd: x" is a reply to a forward).
// Leading bracketed labels are skipped: our own tag ("[#12] Fwd: x") and
// those mail gateways prepend ("[EXTERNAL] Fwd: x", "[SPAM] ..."). The old
// bracketed forward style "[Fwd: x]" counts as a forward too.
func IsForward(subject string) bool {
	s := subject
	for {
		s = strings.TrimSpace(s)
		if !strings.HasPrefix(s, "[") {
			break
		}
		j := strings.IndexByte(s, ']')
		if j < 0 || j > maxLabelLen {
			break
		}
		if forwardWord(s[1:j]) {
			return true
		}
		s = s[j+1:]
	}
	return forwardWord(s)
}

// maxLabelLen bounds a leading "[label]" that IsForward skips.
const maxLabelLen = 64

// forwardWord reports whether s starts with a forward prefix.
func forwardWord(s string) bool {
	m := prefixRE.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	word := strings.ToLower(m[1])
	for _, p := range forwardPrefixes {
		if word == p {
			return true
		}
	}
	return false
}
