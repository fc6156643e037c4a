package ui

import (
	"regexp"
	"strings"

	"github.com/atende-helpdesk/atende/internal/directory"
)

var reActionField = regexp.MustCompile(`^(filters\[\d+\])\.action\.`)

// channelErrors translates the channel form's and rule editor's
// validation errors (directory and routing messages), falling back to
// fieldErrors' translations.
func (l Localizer) channelErrors(v directory.ValidationError) map[string]string {
	out := map[string]string{}
	for _, fe := range v {
		field := reActionField.ReplaceAllString(fe.Field, "$1.")
		if strings.HasPrefix(field, "additional_emails[") {
			field = "additional_emails"
		}
		if strings.HasPrefix(field, "folders[") {
			field = "folders"
		}
		if _, dup := out[field]; dup {
			continue
		}
		m := fe.Message
		var t string
		switch {
		case strings.HasPrefix(m, "must be between 1 and 65535"):
			t = l.T("ch.err.port")
		case strings.HasPrefix(m, "must be a host name"):
			t = l.T("ch.err.host")
		case strings.HasPrefix(m, "required for an external") || strings.HasPrefix(m, "required for external"):
			t = l.T("ch.err.required_external")
		case strings.HasPrefix(m, "must be a domain name"):
			t = l.T("ch.err.domain")
		case m == "must not be empty":
			t = l.T("ch.err.empty")
		case strings.HasPrefix(m, "never matches"):
			t = l.T("ch.err.never_matches")
		case strings.HasPrefix(m, "required when send_initial_message"):
			t = l.T("ch.err.initial_message")
		case strings.HasPrefix(m, "must be one of low"):
			t = l.T("ch.err.priority")
		case m == "repeats another address of this channel":
			t = l.T("ch.err.repeat")
		case m == "not a valid folder name":
			t = l.T("ch.err.folder")
		case m == "listed twice":
			t = l.T("ch.err.folder_twice")
		case strings.HasPrefix(m, "at most") && strings.HasSuffix(m, "folders"):
			t = l.T("ch.err.folders_max", directory.MaxFolders)
		case strings.HasPrefix(m, "required when after_import"):
			t = l.T("ch.err.move_to")
		case strings.HasPrefix(m, "must be 0 (only new mail)") || m == "must be a whole number of days":
			t = l.T("ch.err.history_days", directory.MaxHistoryDays)
		case m == "must be empty, mark_read or move" || m == "must be none, days or all":
			t = l.T("ch.err.choice")
		case m == "must be internal, external or office365":
			t = l.T("ch.err.outgoing")
		case m == "secrets box not configured":
			t = l.T("ch.err.no_secrets")
		case strings.HasPrefix(m, "must be a positive id"):
			t = l.T("err.no_team")
		default:
			t = l.fieldMessage(m)
		}
		out[field] = t
	}
	return out
}
