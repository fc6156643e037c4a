// Package replytext extracts the part of an email body that the sender
// actually wrote in this message, for Atende to show first. It is pure (no
// I/O) and is called by package mailparse; it must not import it.
//
// Text works on plain-text bodies:
//
//   - Everything from the first "history marker" on is dropped: an
//     "-----Original Message-----" / "-----Mensagem original-----" style
//     separator, a forwarded-message marker ("---------- Forwarded message
//     ---------", "Início da mensagem encaminhada:", …), an Outlook-style
//     header block ("From:/De:/Von:/Da:" followed within a few lines by a date
//     field and a to/subject field, in pt, en, es, fr, de, it, nl) together
//     with a "_____" rule drawn above it, or a quote header ("Em … escreveu:",
//     "On … wrote:", "El … escribió:", "Le … a écrit :", "Am … schrieb …:",
//     "Il giorno … ha scritto:", "Op … schreef …:" / "… het volgende
//     geschreven:", "Den … skrev …:", "В … написал(а):", "W dniu … napisał:",
//     "在 … 写道：", "… kirjoitti:", Gmail's "2024-06-05 10:00 GMT-03:00 Fulano
//     <x@y>:", Yandex's "05.06.2024, 10:00, "Fulano" <x@y>:", Mail.ru's "… от
//     Fulano <x@y>:", wrapped over up to three lines) that is not followed by
//     ">" lines, as Yahoo and HTML conversions write it. Such a header needs
//     an address, a time or a date in it, so prose like "On Monday my
//     manager wrote:" is kept; followed by ">" lines, the introductory word
//     and the verb suffice ("Em qui., Carla Pereira escreveu:"). Header
//     blocks are recognised in pt, en, es, fr, de, it, nl, sv, da/no, fi,
//     ru, pl, cs, tr, hu, zh and ja (full-width colons too), also when they
//     start with "Date:" (Hotmail) and, below an <hr>, with two fields;
//     Zoho's "---- On … wrote ----" is a separator.
//   - Then, from the end: blank lines, a trailing ">" block with the header
//     that introduces it, "Sent from my iPhone" / "Enviado do meu Android" /
//     "Obter o Outlook para Android" style lines and "-- " signature blocks are
//     dropped, repeatedly. A trailing ">" block without a header of its own is
//     only dropped when it is evidently history (it opens with an attribution
//     or separator, or the message is an interleaved reply), so a customer's
//     own "> …" lines survive.
//   - ">" blocks followed by the sender's text are kept, with their header,
//     when the reply is interleaved; a bottom-posted reply (attribution and
//     ">" block on top, then only the sender's text) shows just that text.
//   - A "--" line is only a signature delimiter when the block below it is
//     short (at most 40 lines), holds no code-like line and is not itself
//     below a "--" comment line (SQL dumps and the like are kept).
//
// HTML removes the quote containers of the common clients — Gmail
// div.gmail_quote / gmail_quote_container, blockquote type="cite" (Apple Mail,
// Thunderbird, Roundcube), Yahoo yahoo_quoted, ProtonMail protonmail_quote,
// Thunderbird moz-cite-prefix, Roundcube p#reply-intro and the blockquote after
// it — and cuts everything from Outlook's #divRplyFwdMsg / #appendonsend /
// mail-editor-reference-message-container / OutlookMessageHeader, Outlook
// desktop's "border-top:solid #E1E1E1" (or #B5C4DF) header box and Zimbra's
// hr#zwchr / data-marker="__DIVIDER__" on, Windows Mail's border-top-style
// separator, Zoho's zmail_extra and an <hr> directly above a header block;
// AOL's AOLMsgPart is a quote. Signature containers (Gmail, Thunderbird,
// Roundcube, Outlook, Apple Mail, Yahoo, Zimbra) and invisible elements
// (display:none, mso-hide:all, head, style, script) are skipped. The rest is
// converted to text (block elements and <br> break lines, <p> separates
// paragraphs, other blockquotes become ">" lines) and the rules of Text are
// applied; a quote removed at the very top, with its attribution, is dropped
// too (bottom-posted replies).
//
// The result only decides what is shown first — the full message is always
// kept elsewhere — so the package errs on the side of keeping text: when
// stripping would leave nothing (a bare forward, a message that is only a
// quote) the trimmed original is returned instead (for HTML, the text of the
// whole body).
//
// Both functions run in time linear in the size of their input: all regular
// expressions are RE2 and only run on bounded-length candidates, and every line
// is looked at a bounded number of times. To bound work on huge bodies, Text
// examines only the first 1 MiB (cut at the last line break before that limit)
// and HTML only the first 2 MiB of markup; whatever lies beyond is treated as
// quoted history and never shown (when stripping leaves nothing, the
// "original" returned is that examined part). Output always uses "\n" line
// breaks, is valid UTF-8 whenever the input is, and Text(Text(x)) == Text(x).
package replytext
