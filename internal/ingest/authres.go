package ingest

import (
	"strings"

	"github.com/emersion/go-msgauth/authres"
)

// authVerdict reads the Authentication-Results header we can trust:
//   - the one whose authserv-id is ours (added by Atende's inbound SMTP
//     server, which strips forged copies of it);
//   - for mail synced from a mailbox (external connection), the topmost
//     header, added by the mailbox provider's receiving MX when the mail
//     arrived (providers strip incoming headers that claim their id).
//
// It returns the raw header value and whether DMARC failed.
func authVerdict(values []string, ourID string, trustTopmost bool) (raw string, dmarcFail bool) {
	for i, v := range values {
		id, results, err := authres.Parse(v)
		if err != nil || len(results) == 0 {
			continue
		}
		ours := ourID != "" && strings.EqualFold(strings.TrimSpace(id), ourID)
		if !ours && !(trustTopmost && i == 0) {
			continue
		}
		for _, r := range results {
			if d, ok := r.(*authres.DMARCResult); ok && d.Value == authres.ResultFail {
				dmarcFail = true
			}
		}
		return v, dmarcFail
	}
	return "", false
}
