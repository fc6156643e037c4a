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
	// en: "On Wed, Jun 5, 2024 at 10:00 AM Fulano <x@y> wrote:" (or "sent:")
	regexp.MustCompile(`(?i)^on\s.+\s(wrote|sent)\s?:$`),
	// es: "El mié, 5 jun 2024 a las 10:00, Fulano (<x@y>) escribió:"
	regexp.MustCompile(`(?i)^el\s.+\sescribi[óo]\s?:$`),
	// fr: "Le mer. 5 juin 2024 à 10:00, Fulano <x@y> a écrit :"
	regexp.MustCompile(`(?i)^le\s.+\sa\s[ée]crit\s?:$`),
	// de: "Am Mi., 5. Juni 2024 um 10:00 Uhr schrieb Fulano <x@y>:"
	regexp.MustCompile(`(?i)^am\s.+\sschrieb(\s.+)?:$`),
	// it: "Il giorno mer 5 giu 2024 alle ore 10:00 Fulano <x@y> ha scritto:"
	regexp.MustCompile(`(?i)^il\s.+\sha\sscritto\s?:$`),
	// nl: "Op wo 5 jun. 2024 om 10:00 schreef Fulano <x@y>:", "Op 5 jun. 2024,
	// om 10:00 heeft Fulano <x@y> het volgende geschreven:"
	regexp.MustCompile(`(?i)^op\s.+\sschreef(\s.+)?:$`),
	regexp.MustCompile(`(?i)^op\s.+\sgeschreven\s?:$`),
	// da/no/sv: "Den 5. jun. 2024 kl. 10.00 skrev Fulano <x@y>:", "På 5 juni 2024
	// på 10:00, Fulano (x@y) skrev:"
	regexp.MustCompile(`(?i)^(den|d\.|på|pa|tor|ons|man|tir|fre|l[øo]r|s[øo]n)\s.+\sskrev(\s.+)?:$`),
	// ru: "В ср, 5 июн. 2024 г. в 10:00, Fulano <x@y> написал(а):"
	regexp.MustCompile(`(?i)^(в|во)\s.+\sнаписал(а|\(а\))?\s?:$`),
	// pl: "W dniu 5.06.2024 o 10:00, Fulano <x@y> pisze:", "… napisał(a):"
	regexp.MustCompile(`(?i)^(w dniu|dnia)\s.+\s(napisał|napisała|napisał\(a\)|pisze)\s?:$`),
	// zh: "在 2024年6月5日 10:00，Fulano <x@y> 写道："
	regexp.MustCompile(`^(在|于)\s?.+写道\s?:$`),
	// vi: "Vào 10:00 5 tháng 6, 2024, Fulano <x@y> đã viết:"
	regexp.MustCompile(`(?i)^vào\s.+\sđã\sviết\s?:$`),
	// ca: "El dc., 5 de juny 2024 a les 10:00, Fulano (<x@y>) va escriure:"
	regexp.MustCompile(`(?i)^el\s.+\sva\sescriure\s?:$`),
	// "On/Em … wrote:" with the verb first (Outlook for Mac in some languages)
	regexp.MustCompile(`(?i)^(on|em)\s.+\s(wrote|escreveu)\s.{0,80}:$`),
}

// headerNoIntro are attributions without an introductory word; they only
// count when the text also holds an e-mail address.
var headerNoIntro = []*regexp.Regexp{
	// "Fulano <x@y> wrote:", "x@y escreveu:", "Fulano <x@y> schrieb am 05.06.2024:",
	// "5.6.2024 klo 10.00 Fulano <x@y> kirjoitti:", "пользователь Fulano <x@y> написал:"
	regexp.MustCompile(`(?i)^.+\s(wrote|writes|escreveu|escribi[óo]|a\s[ée]crit|ha\sscritto|schreef|geschreven|skrev|napisał|napisała|napisał\(a\)|pisze|kirjoitti|написал|написала|написал\(а\)|пишет|napsal|napsala|napsal\(a\)|írta|yazdı|έγραψε|đã viết|va escriure|a scris|написав|написала|написав\(ла\))\s?:$`),
	regexp.MustCompile(`^.+\s?(写道|寫道|書きました|작성)\s?:$`),
	regexp.MustCompile(`(?i)^.+\sschrieb(\s.+)?:$`),
	// Horde/IMP: "Citando Fulano <x@y>:", "Quoting Fulano <x@y>:"
	regexp.MustCompile(`(?i)^(citando|quoting|zitat von|cita de|citation de|citazione di)\s.+:$`),
}

// dateAddrHeader matches attributions without a verb: Gmail's "2024-06-05
// 10:00 GMT-03:00 Fulano <x@y>:", Yandex's `05.06.2024, 10:00, "Fulano" <x@y>:`,
// Japanese "2024年6月5日(水) 10:00 Fulano <x@y>:" and Mail.ru's "Среда, 5 июня
// 2024, 10:00 +03:00 от Fulano <x@y>:".
var dateAddrHeader = []*regexp.Regexp{
	regexp.MustCompile(`^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{4}年\d{1,2}月\d{1,2}日)\S*,?\s.*(@[^\s@]+|<[^<>\s]*>|\([^()\s]*@[^()\s]*\))\s?:$`),
	regexp.MustCompile(`(?i)^.+\d{1,2}:\d{2}.*\sот\s.+(@[^\s@]+|<[^<>\s]*@[^<>\s]*>)\s?:$`),
	// Gmail in Russian and other languages: "ср, 5 июн. 2024 г. в 10:00, Fulano <x@y>:"
	regexp.MustCompile(`^.{0,40}(19|20)\d{2}.{0,40}\d{1,2}[:.]\d{2}.{0,120}<[^<>\s]+@[^<>\s]+>\s?:$`),
}

var (
	timeRe = regexp.MustCompile(`\d{1,2}[:h]\d{2}`)
	dateRe = regexp.MustCompile(`\d{1,4}[/.\-]\d{1,2}[/.\-]\d{2,4}|(^|\D)(19|20)\d{2}(\D|$)`)
)

// separatorRe matches "-----Original Message-----" style lines and the
// forwarded-message markers; everything from such a line on is history.
var separatorRe = regexp.MustCompile(`(?i)^(` +
	`[-–—_=*\s]{2,}\s*(original message|mensagem original|mensaje original|message d'origine|message original|ursprüngliche nachricht|originalnachricht|messaggio originale|oorspronkelijk bericht|` +
	`original-nachricht|mensaje original|ursprungligt meddelande|originalmeddelande|opprinnelig melding|oprindelig meddelelse|oprindelig besked|alkuperäinen viesti|исходное сообщение|оригинальное сообщение|wiadomość oryginalna|oryginalna wiadomość|původní zpráva|eredeti üzenet|orijinal mesaj|原始邮件|原始郵件|元のメッセージ|reply message|` +
	`forwarded message|mensagem encaminhada|mensagem reencaminhada|e-?mail encaminhado|mensaje reenviado|mensaje reenviado original|message transféré|weitergeleitete nachricht|messaggio inoltrato|doorgestuurd bericht|пересылаемое сообщение|videresendt melding|vidarebefordrat meddelande|välitetty viesti|转发的邮件)\s*[-–—_=*\s]{2,}` +
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
		fieldFrom: {"from", "de", "von", "da", "van", "remetente", "expéditeur", "expediteur",
			"från", "fra", "lähettäjä", "от", "od", "kimden", "feladó", "de la", "από", "від", "מאת", "من", "发件人", "寄件者", "差出人", "보낸 사람", "afzender", "absender"},
		fieldDate: {"sent", "enviado em", "enviada em", "enviado el", "enviados", "enviado", "enviada", "enviadas", "date", "data", "datum", "gesendet", "envoyé", "envoye", "inviato", "fecha", "verzonden", "data de envio",
			"skickat", "sendt", "dato", "lähetetty", "päivämäärä", "отправлено", "дата", "wysłano", "wysłane", "odesláno", "gönderildi", "tarih", "küldve", "elküldve", "trimis", "στάλθηκε", "надіслано", "נשלח", "תאריך", "تاريخ الإرسال", "أرسلت", "보낸 날짜", "dátum", "发送时间", "日期", "寄件日期", "送信日時", "날짜", "sent at", "envoyé le"},
		fieldTo: {"to", "para", "an", "à", "a", "aan", "destinatário", "destinatario", "destinataire", "cc", "cco", "bcc", "kopie", "cci", "para/to",
			"till", "til", "kopia", "kopi", "vastaanottaja", "kopio", "кому", "копия", "do", "dw", "komu", "kime", "címzett", "către", "catre", "προς", "κοιν", "копія", "אל", "עותק", "إلى", "نسخة", "收件人", "抄送", "收件者", "宛先", "받는 사람"},
		fieldSubject: {"subject", "assunto", "asunto", "betreff", "objet", "oggetto", "sujet", "onderwerp",
			"ämne", "emne", "aihe", "тема", "temat", "předmět", "konu", "tárgy", "subiect", "θέμα", "נושא", "الموضوع", "主题", "主旨", "件名", "제목"},
	} {
		for _, n := range names {
			m[n] = kind
		}
	}
	return m
}

// mobileDevice is what follows "Sent from (my)" in a mobile signature.
const mobileDevice = `(iphone|ipad|ipod|android|samsung|galaxy|huawei|xiaomi|redmi|motorola|moto\b|lg\b|nokia|blackberry|smartphone|mobile|celular|telem[óo]vel|tel[ée]fono|telefone|telefoon|telefon|mobiltelefon|puhelime|tablet|handy|cellulare|dispositivo|device|yahoo|outlook|aol|mail\b|e-?mail|gmail|proton|zoho|spark|bluemail|typeapp|aquamail|airmail|newton|nine\b|k-9|mailbox\b|mailbird|edison|windows|bol\b|uol\b|terra\b|ios\b|aplicativo|app\b)`

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
	// "Sent from my Verizon Wireless BlackBerry": any device of up to three words
	regexp.MustCompile(`(?i)^sent\sfrom\smy\s\S+(\s\S+){0,3}$`),
	regexp.MustCompile(`(?i)^(sent\s)?via\s(mobile|iphone|ipad|android|blackberry|phone)\b`),
	regexp.MustCompile(`(?i)^(sendt|send)\s(fra|från)\s(min|mit|mitt)\s`),
	regexp.MustCompile(`(?i)^skickat\sfrån\s(min|mitt)\s`),
	regexp.MustCompile(`(?i)^lähetetty\s\S*(iphone|ipad|android|puhelime|laitteesta|sovellu)`),
	regexp.MustCompile(`(?i)^отправлено\s(с|со|из)\s`),
	regexp.MustCompile(`(?i)^(wysłane|wysłano)\s(z|ze)\s`),
	regexp.MustCompile(`(?i)^odesláno\s(z|ze)\s`),
	regexp.MustCompile(`(?i)^\S*(iphone|ipad|android)\S*\s(gönderildi)`),
	regexp.MustCompile(`(?i)^(发自我的|從我的|从我的|來自我的)\s?\S*`),
	regexp.MustCompile(`(?i)^(iphone|ipad|android)\s?から送信`),
}

// samsungSig is "Sent via the Samsung Galaxy S22, an AT&T 5G smartphone".
var samsungSig = regexp.MustCompile(`(?i)^sent\s(via|from)\s(the\s|my\s)?samsung\s[^,]{0,40},\s(an?\s)?[^,]{0,40}smartphone\.?$`)

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
		if isBidi(r) {
			continue
		}
		if isSpace(r) {
			space = true
			continue
		}
		if r == '：' {
			r = ':'
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// isBidi reports the invisible direction marks and embeddings that
// right-to-left clients put around names and addresses.
func isBidi(r rune) bool {
	switch r {
	case '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069':
		return true
	}
	return false
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
	case '\u1427':
		// "ᐧ", the invisible mark Gmail tracking extensions append
		return true
	case '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069':
		// direction marks around Hebrew and Arabic attributions
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
	if strings.HasPrefix(t, "--") && strings.HasSuffix(t, "--") {
		// Zoho: "---- On Wed, 05 Jun 2024 10:00:00 -0300 Fulano <x@y> wrote ----"
		inner := norm(strings.Trim(t, "-–— "))
		if inner != "" && !strings.HasSuffix(inner, ":") && len(inner) <= maxHeaderLineLen {
			c := inner + ":"
			// Framed by dashes, a verb-final line needs no address:
			// Android's "---- Fulano wrote ----".
			if matchHeader(c, true) != signalNone || matchHeader(c, false) != signalNone ||
				(headerVerb(c) && headerNoIntro[0].MatchString(c)) {
				return true
			}
		}
	}
	switch t[0] {
	case '-', '_', '=', '*', 0xE2, 'b', 'B', 'i', 'I', 'd', 'D', 'a', 'A':
	default:
		if t[0] < utf8.RuneSelf {
			return false
		}
	}
	return separatorRe.MatchString(norm(t))
}

// fieldKind returns which header-block field the trimmed line t starts with
// ("From:", "*De:*", "Envoyé :", …), or 0.
func fieldKind(t string) int {
	t = strings.TrimLeft(t, "*")
	head := prefix(t, maxFieldPrefix)
	colon := strings.IndexByte(head, ':')
	if fw := strings.Index(head, "："); fw > 0 && (colon < 0 || fw < colon) {
		colon = fw
	}
	if colon < 1 {
		return 0
	}
	name := trimRight(strings.TrimRight(t[:colon], "* "))
	if name == "" || len(name) > 40 {
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

// dateAddrNoColon matches "2011/4/7 Fulano <x@y>" right above a ">" block:
// Gmail's dated attribution without its colon.
var dateAddrNoColon = regexp.MustCompile(`^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})[,\s].{0,200}<[^<>\s]+@[^<>\s]+>$`)

// matchDateAddr reports whether s is an attribution without a verb (see
// dateAddrHeader).
func matchDateAddr(s string) bool {
	if len(s) > maxHeaderLen || !strings.HasSuffix(s, ":") || !strings.Contains(s, "@") {
		return false
	}
	for _, re := range dateAddrHeader {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// matchHeader reports the signal of s as a quote header, or signalNone.
// With intro, only the language patterns anchored on "On/Em/El/Le/Am/Il/Op"
// are tried; without, the address-bearing generic ones.
func matchHeader(s string, intro bool) int {
	if len(s) > maxHeaderLen || !strings.HasSuffix(s, ":") {
		return signalNone
	}
	if !headerVerb(s) {
		if !intro && strings.Contains(s, "@") {
			for _, re := range dateAddrHeader {
				if re.MatchString(s) {
					return signalStrong
				}
			}
		}
		return signalNone
	}
	if intro {
		for _, re := range headerWithIntro {
			if re.MatchString(s) {
				// The introductory word and the verb make it a header
				// when a ">" block follows; an address, time or date make
				// it one on its own.
				return max(headerSignal(s), signalWeak)
			}
		}
		return signalNone
	}
	if !strings.Contains(s, "@") {
		// "5.6.2024 klo 10.00 Fulano kirjoitti:": a date and a time
		// make a verb-final line a header when a ">" block follows.
		if timeRe.MatchString(s) && dateRe.MatchString(s) {
			for _, re := range headerNoIntro[:2] {
				if re.MatchString(s) {
					return signalWeak
				}
			}
		}
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
	if len(t) > maxSigLineLen || len(t) < 8 {
		return false
	}
	if strings.Contains(t, ",") {
		// Samsung's carrier line is the one with a comma.
		return samsungSig.MatchString(norm(t))
	}
	if !mobileStart(t) {
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
var headerVerbs = []string{"wrote", "writes", "sent", "escreveu", "escribió", "escribio", "écrit", "ecrit", "scritto", "skrev", "napisał", "napisała", "napisał(a)", "pisze",
	"geschreven", "kirjoitti", "написал", "написала", "написал(а)", "пишет", "napsal", "napsala", "napsal(a)", "a scris", "написав", "написав(ла)", "작성", "írta", "yazdı", "έγραψε", "đã viết", "va escriure", "写道", "寫道", "書きました"}

// headerVerb is a cheap filter run before the header expressions: s must end
// with an attribution verb, name a German/Dutch "schrieb/schreef", or open
// with a Horde "Citando/Quoting".
func headerVerb(s string) bool {
	l := strings.ToLower(s)
	end := strings.TrimRight(strings.TrimSuffix(strings.TrimSuffix(l, ":"), "："), " ")
	for _, v := range headerVerbs {
		if strings.HasSuffix(end, v) {
			return true
		}
	}
	if strings.Contains(l, "schrieb") || strings.Contains(l, "schreef") || strings.Contains(l, "skrev") || strings.Contains(l, " wrote ") || strings.Contains(l, " escreveu ") {
		return true
	}
	for _, w := range []string{"citando ", "quoting ", "zitat von ", "cita de ", "citation de ", "citazione di "} {
		if strings.HasPrefix(l, w) {
			return true
		}
	}
	return false
}

// endsColon reports whether t ends with a colon (ASCII or full-width).
func endsColon(t string) bool {
	return strings.HasSuffix(t, ":") || strings.HasSuffix(t, "：")
}

// mobileStarts are the first words of the lines mobileSigRes match
// (lowercased), a cheap filter before the expressions.
var mobileStarts = []string{"sent", "get", "enviad", "obt", "baix", "desc", "télé", "tele", "telé", "scarica", "ottieni",
	"outlook", "envoy", "von", "gesendet", "versendet", "inviato", "verzonden", "via", "sendt", "send", "skickat",
	"lähetetty", "отправлено", "wysłan", "odesláno", "iphone", "ipad", "android",
	"发自", "從我", "从我", "來自", "(sent", "-"}

func mobileStart(t string) bool {
	l := strings.ToLower(prefix(trimLeft(t), 24))
	for _, w := range mobileStarts {
		if strings.HasPrefix(l, w) {
			return true
		}
	}
	return false
}
