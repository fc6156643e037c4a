package ingest

import (
	"github.com/atende-helpdesk/atende/internal/mailparse"
	"github.com/atende-helpdesk/atende/internal/model"
)

// oneLineHeaders makes the header texts of a parsed message safe to store
// and to reply with (model.OneLine): the subject and every display name.
// An encoded word can decode to CR/LF ("=?utf-8?Q?a=0D=0Ab?="); stored as
// is, it made every reply to the ticket fail, a ticket nobody could
// answer. The parser should strip them too; this is where the values
// enter the domain, whatever parser produced them.
func oneLineHeaders(pm *mailparse.Message) {
	pm.Subject = model.OneLine(pm.Subject)
	pm.From.Name = model.OneLine(pm.From.Name)
	for _, list := range [][]mailparse.Address{pm.To, pm.Cc, pm.Bcc, pm.ReplyTo} {
		for i := range list {
			list[i].Name = model.OneLine(list[i].Name)
		}
	}
}
