package api

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/identity"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbound/signing"
	"github.com/atende-helpdesk/atende/internal/outbound/smtpout"
	"github.com/atende-helpdesk/atende/internal/providers"
)

// InternalProblem is one finding of an internal channel's connection
// test, in both languages.
type InternalProblem struct {
	Code      string             `json:"code"`
	Severity  providers.Severity `json:"severity"`
	MessagePT string             `json:"message_pt"`
	MessageEN string             `json:"message_en"`
}

// In is the message in lang ("pt-BR" default, "en").
func (p InternalProblem) In(lang string) string {
	return providers.Text{PT: p.MessagePT, EN: p.MessageEN}.In(lang)
}

// InternalReport is "Testar conexão" for a channel with the internal
// connection: what it has instead of IMAP and SMTP servers. Mail reaches
// it through its inbound address; replies leave through the relay, signed
// with the company's DKIM key for the From domain.
type InternalReport struct {
	RelayConfigured bool                   `json:"relay_configured"`
	RelayOK         bool                   `json:"relay_ok"`
	From            string                 `json:"from"`
	FromStatus      identity.Status        `json:"from_status,omitempty"`
	Domain          string                 `json:"domain"`
	Records         []signing.RecordStatus `json:"records"`
	Problems        []InternalProblem      `json:"problems"`
}

// OK reports whether nothing blocks sending: the relay answered and
// authenticated, the From is the company's, DKIM and SPF are published.
func (r *InternalReport) OK() bool {
	for _, p := range r.Problems {
		if p.Severity == providers.SeverityError {
			return false
		}
	}
	return true
}

// InternalCheck runs the internal connection test of ch: the relay
// reachable and authenticated (checkRelay, nil when no relay is
// configured), the relay From verified by the company (owners), and the
// DKIM and SPF records published (sendingDNS, through --dns-resolver).
func InternalCheck(ctx context.Context, ch *model.Channel, checkRelay func(context.Context) error,
	owners *identity.Service, sendingDNS func(context.Context, int64, string) ([]signing.RecordStatus, error)) (*InternalReport, error) {
	r := &InternalReport{Records: []signing.RecordStatus{}, Problems: []InternalProblem{}}
	add := func(code string, sev providers.Severity, pt, en string) {
		r.Problems = append(r.Problems, InternalProblem{code, sev, pt, en})
	}
	if checkRelay == nil {
		add("no_relay", providers.SeverityError,
			"Nenhum relay de saída está configurado no servidor (--relay): as respostas deste canal ficam na fila até que o operador do Atende configure um.",
			"No outgoing relay is configured on the server (--relay): this channel's replies stay queued until the Atende operator sets one.")
	} else {
		r.RelayConfigured = true
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := checkRelay(cctx)
		cancel()
		if err == nil {
			r.RelayOK = true
		} else {
			var se *smtpout.SendError
			var p *providers.Problem
			if errors.As(err, &se) && se.Problem != nil {
				p = se.Problem
			} else {
				p = providers.NetProblem("smtp", "relay", "", err)
			}
			add("relay_"+string(p.Code), providers.SeverityError,
				"O relay de saída do Atende não respondeu como esperado: "+p.Message("pt-BR")+" Avise o operador do Atende.",
				"Atende's outgoing relay did not answer as expected: "+p.Message("en")+" Tell the Atende operator.")
		}
	}
	r.From = directory.RelayFrom(ch)
	if r.From == "" {
		add("no_from", providers.SeverityError, "Informe o e-mail principal ou o e-mail de envio (De).",
			"Enter the primary email or the From email.")
		return r, nil
	}
	r.Domain = identity.DomainOf(r.From)
	if owners != nil {
		st, err := owners.Statuses(ctx, ch.CompanyID, []string{r.From})
		if err != nil {
			return nil, fmt.Errorf("api: internal check: %w", err)
		}
		r.FromStatus = st[r.From]
		switch r.FromStatus {
		case identity.StatusUnverified:
			add("from_unverified", providers.SeverityError,
				r.From+" ainda não foi verificado: o relay só envia como endereços ou domínios verificados pela empresa. Verifique o domínio "+r.Domain+" ou o endereço em Administração → Domínios e endereços.",
				r.From+" is not verified yet: the relay only sends as addresses or domains the company verified. Verify the domain "+r.Domain+" or the address under Administration → Domains and addresses.")
		case identity.StatusOther:
			add("from_other_owner", providers.SeverityError,
				r.From+" foi verificado por outra empresa neste Atende: este canal não pode enviar como ele.",
				r.From+" was verified by another company on this Atende: this channel cannot send as it.")
		}
	}
	if sendingDNS == nil {
		return r, nil
	}
	recs, err := sendingDNS(ctx, ch.CompanyID, r.Domain)
	if err != nil {
		return nil, fmt.Errorf("api: internal check: %w", err)
	}
	r.Records = recs
	for _, rec := range recs {
		what := strings.ToUpper(rec.Kind)
		switch rec.State {
		case signing.NotFound:
			add(rec.Kind+"_not_found", providers.SeverityError,
				"Registro "+what+" não encontrado em "+rec.Name+": publique-o no DNS do domínio (pode levar alguns minutos para aparecer).",
				what+" record not found at "+rec.Name+": publish it in the domain's DNS (it may take a few minutes to show).")
		case signing.Different:
			add(rec.Kind+"_different", providers.SeverityError,
				"Há um registro "+what+" em "+rec.Name+", mas não o que o Atende precisa: confira o valor abaixo.",
				"There is a "+what+" record at "+rec.Name+", but not the one Atende needs: compare it with the value below.")
		case signing.LookupFailed:
			add(rec.Kind+"_lookup_failed", providers.SeverityWarning,
				"Não foi possível consultar o DNS de "+rec.Name+" agora. Tente de novo em instantes.",
				"Could not look up "+rec.Name+" right now. Try again in a moment.")
		}
	}
	return r, nil
}
