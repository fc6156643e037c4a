// Package directory manages who and what a company is made of: companies
// (tenants), agents, teams and their members, channels and each channel's
// routing rule (Conecta seed: Canais → Ações → Regra). It validates input
// field by field (ValidationError lists every problem with its JSON field
// name) and keeps every id inside the caller's company: an id of another
// company is ErrNotFound, exactly like an id that does not exist.
//
// Rules are validated by internal/routing (routing.FromModel converts the stored
// model.ChannelRule to routing.Rule); on top of that every team and
// assignee id a rule names must belong to the channel's company.
//
// Setup creates the first company and its first admin, and only when the
// database has no company yet (NeedsSetup reports it) — the one-time
// setup page and `atende admin` both call it.
package directory
