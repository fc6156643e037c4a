// Package alerts tells the admins when something keeps failing, and only
// then: components report each failure and each success of a cause
// (a channel's IMAP, its sending connection or relay, its login; the
// node's disk or database) to a Monitor. The first failure of a streak is
// logged once (later ones only counted); when a streak has lasted longer
// than Config.After, every affected company gets an admin notice and a
// "channel.failing" webhook event; when the cause works again the notice is
// marked read, a "channel.recovered" event goes out and the recovery is
// logged with the streak's length and count.
//
// A notice is stored with a message key and parameters (Message: key
// "notice.<cause>", params "minutes", "detail"), shown in each reader's
// language from the UI's catalogs; its stored title and body (Text) are the
// pt-BR fallback. The channel.failing event names the notice, key and
// parameters.
//
// Streaks live in memory: a restarted node starts counting again (a cause
// that still fails is noticed After later).
package alerts
