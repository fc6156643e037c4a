// Package thread decides which ticket an incoming email belongs to, and
// provides the helpers the outbound side uses to make replies findable again
// (reply-address tokens and subject tags).
//
// The package is pure logic: it never touches SQL or the network. It declares
// the small Index interface it needs; the store implements it. All lookups are
// scoped to one company.
//
// # Resolution order
//
// Resolve tries, in this order, and stops at the first hit:
//
//  1. Reply-address token. Outbound mail uses a Reply-To/From address of the
//     form local+t-<token>@domain (see NewReplyToken, PlusAddress). A reply to
//     such an address carries the token in one of its recipients (To, Cc,
//     Delivered-To, X-Original-To), even when the sender's mail system
//     rewrote our Message-ID (Outlook, Amazon SES) so that In-Reply-To and
//     References no longer match anything we stored. The token is an
//     unguessable 120-bit secret, so holding it is treated as proof that the
//     sender was sent (or forwarded) our message; no participant check is
//     made.
//  2. In-Reply-To, in header order.
//  3. References, newest (last) first. Only the newest MaxReferences entries
//     are looked up, to bound the query on very long threads.
//  4. Subject tag "[#1234]" (see SubjectTag), accepted only under the
//     participant rule below.
//  5. Otherwise a new ticket (Result.Found == false, Method == MethodNew).
//
// A message is never joined to a ticket by its subject text alone: two
// customers both writing "Invoice" are two tickets.
//
// # Header hygiene
//
// Empty or whitespace-only In-Reply-To/References entries are ignored, so a
// stored message without a Message-ID can never be matched by an empty key.
// Entries equal to the message's own Message-ID are ignored too (a message
// referencing itself, or a mail loop, must not match itself). Surrounding
// whitespace and angle brackets are trimmed defensively; otherwise
// Message-IDs are compared exactly as given.
//
// # Subject-tag participant rule
//
// A subject tag is visible to everyone who ever saw the subject line, so on
// its own it is weak evidence. The tagged ticket is joined only when the
// sender's address (case-insensitive) is one of the ticket's participants
// (its contact, or anyone who was on its mails' From, To or Cc), and only
// when the ticket belongs to the channel the message arrived on
// (Input.ChannelID). That covers the customer whose mail client dropped
// In-Reply-To and References ("Re: [#5] ..." to a resolved ticket reopens
// it), and never lets an outsider join a ticket by typing "[#5]" in a
// subject, not even one at the customer's own domain. A tag that fails the
// rule is ignored and the message opens a new ticket.
//
// TagFromSubject accepts only our own format, "[#<n>]" with n a positive
// decimal without leading zeros, anywhere in the subject (so also after
// "Re:"/"Fwd:" prefixes and after other systems' tags). Looser forms such as
// "Ticket#1234" or "#1234" are deliberately not accepted: they are common in
// other vendors' ticket systems and in customers' own order numbers, and a
// false positive would merge unrelated conversations.
//
// # Forwards
//
// A subject whose outermost prefix is a forward prefix (Fwd:, Fw:, Enc:,
// Encaminhada:, TR:, WG:, RV:, I:, any case) opens a new ticket unless a reply
// token matched, even when its In-Reply-To/References or subject tag point at
// an existing ticket. A forward is someone (typically an agent, or a customer
// passing a thread to a colleague) starting a new conversation about old
// mail: the forwarded copy still carries the original thread's headers, and
// joining on them would put a different conversation, often with different
// people, into the original ticket and send its replies to the wrong
// audience. Result.Forwarded reports that the subject is a forward. A reply
// to a forward ("Re: Fwd: ...", "RES: ENC: ...") is an ordinary reply and
// joins by headers as usual, because its outermost prefix is a reply prefix.
// A forward sent to a tokenized reply address joins that ticket: the token
// identifies the ticket explicitly.
package thread
