package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbound/signing"
)

type dnsView struct {
	Domain  string                 `json:"domain"`
	Records []signing.RecordStatus `json:"records"`
}

// channelDNS lists the DNS records an admin publishes so that mail the
// channel sends through Atende's relay passes DKIM and SPF.
func (d Deps) channelDNS(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	p := principal(r)
	c, err := d.Directory.GetChannel(r.Context(), p.CompanyID, id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	from := c.Settings.FromEmail
	if from == "" {
		from = c.Settings.PrimaryEmail
	}
	_, domain, ok := strings.Cut(model.NormalizeEmail(from), "@")
	if !ok || domain == "" {
		d.fail(w, r, directory.Invalid("from_email", "set the channel's From email first: the records are for its domain"))
		return
	}
	out := dnsView{Domain: domain, Records: []signing.RecordStatus{}}
	if c.Outgoing == model.ConnExternal || c.Outgoing == model.ConnOffice365 || (d.DNSRecords == nil && d.SendingDNS == nil) {
		reply(w, http.StatusOK, out) // sends through its own mailbox: its provider signs
		return
	}
	if d.SendingDNS != nil { // with what the resolver finds for each
		recs, err := d.SendingDNS(r.Context(), p.CompanyID, domain)
		if err != nil {
			d.fail(w, r, errors.Join(errors.New("DNS records"), err))
			return
		}
		out.Records = recs
		reply(w, http.StatusOK, out)
		return
	}
	recs, err := d.DNSRecords(r.Context(), p.CompanyID, domain)
	if err != nil {
		d.fail(w, r, errors.Join(errors.New("DNS records"), err))
		return
	}
	for _, rec := range recs {
		out.Records = append(out.Records, signing.RecordStatus{Record: rec, Found: []string{}})
	}
	reply(w, http.StatusOK, out)
}
