// Package routing evaluates a channel's rule ("Regra" in the seeds): the
// default team that receives the channel's new tickets, the ordered "+"
// filters ("Filtros de e-mail específico") that send specific senders,
// recipients or topics elsewhere, and the initial message (auto-reply) sent
// when a contact's mail opens a ticket.
//
// The package is pure logic: Evaluate takes a Rule and the facts of one
// incoming message and returns a Decision; Validate checks a Rule before it
// is saved and reports field-level errors (ValidationError) the API can show
// next to each field.
//
// # Matching
//
// Filters are tried in order and the first match wins. All comparisons are
// case-insensitive.
//
//   - sender_address: the sender's address equals the value (exactly, apart
//     from case; plus-address detail is significant here).
//   - sender_domain: the sender's domain is the value or a subdomain of it:
//     "empresa.com.br" matches "x@vendas.empresa.com.br" but not
//     "x@outraempresa.com.br". Internationalized domains are compared in
//     their ASCII (punycode) form, so "açaí.com.br" and "xn--aa-4iaz.com.br"
//     match each other.
//   - recipient_address: any recipient equals the value, ignoring
//     plus-address detail on both sides ("vendas+sp@x.com" matches a filter
//     "vendas@x.com").
//   - subject_contains, body_contains: substring match that ignores case,
//     accents and compatibility forms, and treats any run of white space as
//     one space: the text is Unicode-case-folded, decomposed (NFKD) and
//     stripped of combining marks, so "Cotação" matches "cotacao" and
//     "COTACAO". Only the first MaxBodyBytes of the body are searched.
//
// A filter that is invalid on its own (unknown kind, empty or malformed
// value, bad priority, tag or id) never matches, so an unvalidated rule
// cannot route mail somewhere unintended; a value made only of accents would
// otherwise match every message. Validate additionally rejects filters that
// an earlier filter shadows, which Evaluate simply never reaches.
//
// # Decision
//
// Without a matching filter the ticket goes to the rule's default team, with
// nobody assigned, priority "normal", no tags, and the rule's
// SendInitialMessage. A matching filter's action overrides each of these
// that it sets: TeamID (0 keeps the default team), AssigneeID, Priority
// ("" keeps "normal"), Tags, and SendInitialMessage (nil keeps the rule's).
// The initial message is never requested when the rule has no initial
// message text.
package routing
