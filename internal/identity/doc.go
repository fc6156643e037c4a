// Package identity is which domains and addresses each company really
// owns. A company claims a domain or an address (Canais → Domínios e
// endereços); it owns it once verified:
//
//   - a domain by a DNS TXT record at the domain itself,
//     "atende-verification=<token>", looked up through the program's
//     resolver (--dns-resolver); the admin sees what the lookup found;
//   - an address (a personal Gmail, say) by an 8-digit code mailed to it
//     through the relay, typed back (or followed by its link) within 24
//     hours, at most 5 wrong guesses per code, at most one code a minute
//     and 5 a day per address, and at most 20 unverified addresses per
//     company (the relay is not a way to mail strangers).
//
// A verified identity is unique across the installation (the store's
// partial unique index decides a race): what one company verified, no
// other can verify, and an address under a domain another company
// verified cannot be claimed either. An address verified on its own wins
// over the domain it is in (Owner): the company that proved it reads that
// mailbox.
//
// What ownership gates:
//   - Inbound mail routed by a channel's primary or additional email (our
//     SMTP server as the domain's MX): only for addresses the channel's
//     company owns (smtpin). Mail to a channel's own inbound address needs
//     no verification: its unguessable token is the proof.
//   - The From of mail sent through the shared relay (internal outgoing
//     connection): only an owned address (directory validation, and the
//     sender again at send time).
//
// Channels saved before verification existed keep working through their
// inbound address; their unverified addresses are listed on the channel
// list and page and in an admin notice (SweepUnverified at start).
package identity
