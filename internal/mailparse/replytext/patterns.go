package replytext

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// All regular expressions are RE2 (linear time) and are only ever run on
// candidates of bounded length (see maxHeaderLen, maxFieldPrefix).

const (
	// maxHeaderLen bounds the (joined) text examined as a quote header such as
	// "On Wed, Jun 5, 2024 at 10:00 AM Fulano <x@y> wrote:".
	maxHeaderLen = 600
	// maxHeaderLineLen bounds one physical line taking part in a header.
	maxHeaderLineLen = 400
	// maxFieldPrefix is how much of a line is examined for an Outlook-style
	// "From:" / "De :" field name.
	maxFieldPrefix = 48
	// maxMarkerLen bounds lines examined as separators / forward markers.
	maxMarkerLen = 120
	// maxSigLineLen bounds lines examined as mobile signatures.
	maxSigLineLen = 160
)

// headerWithIntro are the reply attributions of the common clients, one per
// language, anchored on the introductory word.
var headerWithIntro = []*regexp.Regexp{
	// pt: "Em qua., 5 de jun. de 2024 às 10:00, Fulano <x@y> escreveu:"
	regexp.MustCompile(`(?i)^em\s.+\sescreveu\s?:$`),
	// en: "On Wed, Jun 5, 2024 at 10:00 AM Fulano <x@y> wrote:"
	regexp.MustCompile(`(?i)^on\s.+\swrote\s?:$`),
	// es: "El mié, 5 jun 2024 a las 10:00, Fulano (<x@y>) escribió:"
	regexp.MustCompile(`(?i)^el\s.+\sescribi[óo]\s?:$`),
	// fr: "Le mer. 5 juin 2024 à 10:00, Fulano <x@y> a écrit :"
	regexp.MustCompile(`(?i)^le\s.+\sa\s[ée]crit\s?:$`),
	// de: "Am Mi., 5. Juni 2024 um 10:00 Uhr schrieb Fulano <x@y>:"
	regexp.MustCompile(`(?i)^am\s.+\sschrieb(\s.+)?:$`),
	// it: "Il giorno mer 5 giu 2024 alle ore 10:00 Fulano <x@y> ha scritto:"
	regexp.MustCompile(`(?i)^il\s.+\sha\sscritto\s?:$`),
	// nl: "Op wo 5 jun. 2024 om 10:00 schreef Fulano <x@y>:"
	regexp.MustCompile(`(?i)^op\s.+\sschreef(\s.+)?:$`),
}

// headerNoIntro are attributions without an introductory word; they only
// count when the text also holds an e-mail address.
var headerNoIntro = []*regexp.Regexp{
	// "Fulano <x@y> wrote:", "x@y escreveu:", "Fulano <x@y> schrieb am 05.06.2024:"
	regexp.MustCompile(`(?i)^.+\s(wrote|escreveu|escribi[óo]|a\s[ée]crit|ha\sscritto|schreef|skrev|napisał)\s?:$`),
	regexp.MustCompile(`(?i)^.+\sschrieb(\s.+)?:$`),
	// Horde/IMP: "Citando Fulano <x@y>:", "Quoting Fulano <x@y>:"
	regexp.MustCompile(`(?i)^(citando|quoting|zitat von|cita de|citation de|citazione di)\s.+:$`),
}

var (
	timeRe = regexp.MustCompile(`\d{1,2}[:h]\d{2}`)
	dateRe = regexp.MustCompile(`\d{1,4}[/.\-]\d{1,2}[/.\-]\d{2,4}|(^|\D)(19|20)\d{2}(\D|$)`)
)

// separatorRe matches "-----Original Message-----" style lines and the
// forwarded-message markers; everything from such a line on is history.
var separatorRe = regexp.MustCompile(`(?i)^(` +
	`[-–—_=*\s]{2,}\s*(original message|mensagem original|mensaje original|message d'origine|message original|ursprüngliche nachricht|originalnachricht|messaggio originale|oorspronkelijk bericht|` +
	`forwarded message|mensagem encaminhada|mensagem reencaminhada|e-?mail encaminhado|mensaje reenviado|mensaje reenviado original|message transféré|weitergeleitete nachricht|messaggio inoltrato|doorgestuurd bericht)\s*[-–—_=*\s]{2,}` +
	`|begin forwarded message\s?:` +
	`|in[íi]cio da mensagem (encaminhada|reencaminhada)\s?:` +
	`|inicio del mensaje reenviado\s?:` +
	`|d[ée]but du message (r[ée]exp[ée]di[ée]|transf[ée]r[ée])\s?:` +
	`|anfang der weitergeleiteten (nachricht|e-mail)\s?:` +
	`|inizio messaggio inoltrato\s?:` +
	`|begin doorgestuurd bericht\s?:` +
	`)$`)

// rule lines drawn above Outlook header blocks.
var ruleRe = regexp.MustCompile(`^[-–—_=*\s]{5,}$`)

// Outlook / Apple / Thunderbird header-block field names.
const (
	fieldFrom = 1 << iota
	fieldDate
	fieldTo
	fieldSubject
)

// fieldNames maps the lowercased field names of header blocks, in the
// languages Atende meets, to their kind.
var fieldNames = buildFieldNames()

func buildFieldNames() map[string]int {
	m := map[string]int{}
	for kind, names := range map[int][]string{
		fieldFrom:    {"from", "de", "von", "da", "van", "remetente", "expéditeur", "expediteur"},
		fieldDate:    {"sent", "enviado em", "enviada em", "enviado el", "enviados", "enviado", "enviada", "enviadas", "date", "data", "datum", "gesendet", "envoyé", "envoye", "inviato", "fecha", "verzonden", "data de envio"},
		fieldTo:      {"to", "para", "an", "à", "a", "aan", "destinatário", "destinatario", "destinataire", "cc", "cco", "bcc", "kopie", "cci", "para/to"},
		fieldSubject: {"subject", "assunto", "asunto", "betreff", "objet", "oggetto", "sujet", "onderwerp"},
	} {
		for _, n := range names {
			m[n] = kind
		}
	}
	return m
}

// mobileDevice is what follows "Sent from (my)" in a mobile signature.
const mobileDevice = `(iphone|ipad|ipod|android|samsung|galaxy|huawei|xiaomi|redmi|motorola|moto\b|lg\b|nokia|blackberry|smartphone|mobile|celular|telem[óo]vel|tablet|handy|cellulare|dispositivo|device|yahoo|outlook|aol|mail\b|e-?mail|gmail|proton|zoho|spark|bluemail|windows|bol\b|uol\b|terra\b|ios\b|aplicativo|app\b)`

// mobileSigRes match the one-line signatures added by phones and webmails;
// the device or service comes right after the verb (and a possessive).
var mobileSigRes = []*regexp.Regexp{
	regexp.MustCompile(`(?i)^sent\s(from|with|via|using)\s(my\s|the\s|an?\s)?` + mobileDevice),
	regexp.MustCompile(`(?i)^get\soutlook\sfor\s(android|ios|iphone)`),
	regexp.MustCompile(`(?i)^enviad[oa]s?\s(do|de|da|pelo|pela|via|com|a partir do|a partir da|desde|con)\s(o\s|a\s|meu\s|minha\s|mi\s|el\s|la\s|um\s|uma\s)?(meu\s|minha\s)?` + mobileDevice),
	regexp.MustCompile(`(?i)^(obter|obtenha|baixe|baixar|obtener|descargar|descarga|t[ée]l[ée]charger|t[ée]l[ée]chargez|obtenir|obtenez|scarica|ottieni)\s(o\s|el\s)?outlook\s(para|pour|per|for)\s(android|ios|iphone)`),
	regexp.MustCompile(`(?i)^outlook\sf[üu]r\s(android|ios)\s(herunterladen|abrufen|beziehen)`),
	regexp.MustCompile(`(?i)^envoy[ée]\s(de|depuis|à partir de|avec|via)\s(mon\s|ma\s|l'|le\s|la\s)?` + mobileDevice),
	regexp.MustCompile(`(?i)^von\s(meinem|meiner|mein)\s.{0,40}gesendet\.?$`),
	regexp.MustCompile(`(?i)^(gesendet|versendet)\s(von|mit|vom)\s(meinem\s|meiner\s|mein\s|der\s|dem\s)?` + mobileDevice),
	regexp.MustCompile(`(?i)^inviato\s(da|dal|dalla|dal mio|con|tramite)\s(il\s|mio\s|il mio\s|la\s|mia\s)?` + mobileDevice),
	regexp.MustCompile(`(?i)^verzonden\s(vanaf|met|van)\s(mijn\s)?` + mobileDevice),
}

// urlInBrackets is the link Outlook mobile appends to its signature:
// "Obter o Outlook para Android<https://aka.ms/AAb9ysg>".
var urlInBrackets = regexp.MustCompile(`\s?[<(\[]https?://[^\s>)\]]*[>)\]]`)

// norm returns s with non-breaking and other Unicode spaces turned into
// ASCII spaces, runs of spaces collapsed and the ends trimmed. Callers only
// pass bounded-length strings.
func norm(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if isSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// prefix returns at most n bytes of s, cut on a rune boundary.
func prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// isSpace reports the characters treated as spacing around lines: Unicode
// white space (a superset of what strings.TrimSpace removes, so trimming the
// output never changes how its lines are read) and zero-width characters.
func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\v', '\f', '\n', '\r':
		return true
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff':
		return true
	}
	return r >= utf8.RuneSelf && unicode.IsSpace(r)
}

// trimLeft removes spacing from the start of a line.
func trimLeft(s string) string {
	if s == "" || (s[0] > ' ' && s[0] < utf8.RuneSelf) {
		return s
	}
	return strings.TrimLeftFunc(s, isSpace)
}

// trimRight removes spacing from the end of a line.
func trimRight(s string) string {
	if s == "" {
		return s
	}
	if c := s[len(s)-1]; c > ' ' && c < utf8.RuneSelf {
		return s
	}
	return strings.TrimRightFunc(s, isSpace)
}

func trim(s string) string { return trimRight(trimLeft(s)) }

// isSeparator reports whether the trimmed line t is an "original message" or
// forwarded-message marker.
func isSeparator(t string) bool {
	if len(t) > maxMarkerLen || len(t) < 8 {
		return false
	}
	switch t[0] {
	case '-', '_', '=', '*', 0xE2, 'b', 'B', 'i', 'I', 'd', 'D', 'a', 'A':
	default:
		return false
	}
	return separatorRe.MatchString(norm(t))
}

// fieldKind returns which header-block field the trimmed line t starts with
// ("From:", "*De:*", "Envoyé :", …), or 0.
func fieldKind(t string) int {
	t = strings.TrimLeft(t, "*")
	colon := strings.IndexByte(prefix(t, maxFieldPrefix), ':')
	if colon < 1 {
		return 0
	}
	name := trimRight(strings.TrimRight(t[:colon], "* "))
	if name == "" || len(name) > 24 {
		return 0
	}
	name = strings.ToLower(name)
	if k, ok := fieldNames[name]; ok {
		return k
	}
	if strings.ContainsAny(name, " \u00a0\t") {
		return fieldNames[strings.ToLower(norm(name))]
	}
	return 0
}

const (
	signalNone = iota
	signalWeak
	signalStrong
)

// headerSignal grades how much a header candidate looks like a real
// attribution: an address, a time or a full date is strong; any digit weak.
func headerSignal(s string) int {
	if strings.Contains(s, "@") || timeRe.MatchString(s) || dateRe.MatchString(s) {
		return signalStrong
	}
	if strings.ContainsAny(s, "0123456789") {
		return signalWeak
	}
	return signalNone
}

// matchHeader reports the signal of s as a quote header, or signalNone.
// With intro, only the language patterns anchored on "On/Em/El/Le/Am/Il/Op"
// are tried; without, the address-bearing generic ones.
func matchHeader(s string, intro bool) int {
	if len(s) > maxHeaderLen || !strings.HasSuffix(s, ":") || !headerVerb(s) {
		return signalNone
	}
	if intro {
		for _, re := range headerWithIntro {
			if re.MatchString(s) {
				return headerSignal(s)
			}
		}
		return signalNone
	}
	if !strings.Contains(s, "@") {
		return signalNone
	}
	for _, re := range headerNoIntro {
		if re.MatchString(s) {
			return signalStrong
		}
	}
	return signalNone
}

// isMobileSig reports whether the trimmed line t is a "Sent from my iPhone"
// style signature: short, no comma, a known verb followed by a device or
// service name and at most a few more words.
func isMobileSig(t string) bool {
	if len(t) > maxSigLineLen || len(t) < 8 || strings.Contains(t, ",") {
		return false
	}
	n := norm(urlInBrackets.ReplaceAllString(t, ""))
	if len(n) > 80 {
		return false
	}
	for _, re := range mobileSigRes {
		if m := re.FindStringIndex(n); m != nil {
			// "Sent from my Samsung Galaxy smartphone." — a few words
			// may follow the device; a sentence goes on longer.
			return len(strings.Fields(n[m[1]:])) <= 4
		}
	}
	return false
}

// isCodeish reports whether a line looks like program text, so that a "--"
// line near it is not taken for a signature delimiter.
func isCodeish(t string) bool {
	t = trim(t)
	if t == "" {
		return false
	}
	switch t[len(t)-1] {
	case ';', '{', '}':
		return true
	}
	return strings.Contains(t, "==") || strings.Contains(t, ":=") ||
		strings.Contains(t, "=>") || strings.Contains(t, "();") || strings.Contains(t, "</")
}

// headerVerbs end a quote header (before its colon).
var headerVerbs = []string{"wrote", "escreveu", "escribió", "escribio", "écrit", "ecrit", "scritto", "skrev", "napisał"}

// headerVerb is a cheap filter run before the header expressions: s must end
// with an attribution verb, name a German/Dutch "schrieb/schreef", or open
// with a Horde "Citando/Quoting".
func headerVerb(s string) bool {
	l := strings.ToLower(s)
	end := strings.TrimRight(strings.TrimSuffix(l, ":"), " ")
	for _, v := range headerVerbs {
		if strings.HasSuffix(end, v) {
			return true
		}
	}
	if strings.Contains(l, "schrieb") || strings.Contains(l, "schreef") {
		return true
	}
	for _, w := range []string{"citando ", "quoting ", "zitat von ", "cita de ", "citation de ", "citazione di "} {
		if strings.HasPrefix(l, w) {
			return true
		}
	}
	return false
}
