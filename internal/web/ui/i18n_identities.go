package ui

import (
	"strings"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/identity"
	"github.com/atende-helpdesk/atende/internal/web/api"
)

// securityFieldMessage translates the field messages of the security
// checks (internal hosts, verified senders, secrets bound to their
// server, unencrypted passwords) and of package identity.
func securityFieldMessage(l Localizer, msg string) (string, bool) {
	switch {
	case msg == directory.MsgInternalHost:
		return l.T("err.internal_host"), true
	case msg == directory.MsgUnverifiedSender:
		return l.T("err.unverified_from"), true
	case msg == directory.MsgInsecureRemote:
		return l.T("err.insecure_remote"), true
	case msg == api.MsgSecretElsewhere:
		return l.T("err.secret_elsewhere"), true
	case msg == identity.MsgDomain:
		return l.T("err.domain"), true
	case msg == identity.MsgReserved:
		return l.T("err.reserved"), true
	case msg == identity.MsgTaken:
		return l.T("err.taken"), true
	case msg == identity.MsgCoveredDomain:
		return l.T("err.covered"), true
	case strings.HasPrefix(msg, "too many addresses waiting"):
		return l.T("err.too_many_pending"), true
	}
	return "", false
}
