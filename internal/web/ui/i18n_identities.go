package ui

import (
	"strings"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/identity"
	"github.com/atende-helpdesk/atende/internal/web/api"
)

// identityMessages: Administração → Domínios e endereços, the
// verification of channel addresses, the DKIM/SPF records on the channel
// page, the internal connection test, and the security checks' field
// messages.
var identityMessages = map[string]map[string]string{
	LangPT: {
		"admin.identities.title": "Domínios e endereços",
		"id.intro": "Só endereços verificados recebem e-mail enviado diretamente a eles (com o Atende como servidor de e-mail do domínio) e só eles podem ser o remetente (De) " +
			"de respostas enviadas pelo relay do Atende. Verifique um domínio inteiro com um registro TXT no DNS, ou um endereço avulso (um Gmail, por exemplo) com um código enviado a ele. " +
			"E-mails encaminhados ao endereço interno de um canal continuam funcionando sem verificação.",
		"id.kind":                  "Tipo",
		"id.value":                 "Domínio ou endereço",
		"id.status":                "Situação",
		"id.domain":                "Domínio",
		"id.address":               "Endereço",
		"id.verified":              "Verificado",
		"id.pending":               "Não verificado",
		"id.open":                  "Abrir",
		"id.verify":                "Verificar",
		"id.empty":                 "Nenhum domínio ou endereço ainda.",
		"id.add_domain":            "Adicionar domínio",
		"id.add_domain_hint":       "Você publica um registro TXT no DNS do domínio e o Atende confere. Todos os endereços do domínio passam a ser da empresa.",
		"id.add_domain_button":     "Adicionar domínio",
		"id.add_address":           "Adicionar endereço",
		"id.add_address_hint":      "Para um endereço cujo domínio você não controla (Gmail, Outlook...): enviamos um código de 8 dígitos para ele.",
		"id.add_address_button":    "Enviar código",
		"id.publish":               "Publique este registro TXT no DNS de %s (no painel do seu provedor de DNS; o nome pode aparecer como «@»). Depois clique em Verificar.",
		"id.publish_hint":          "Pode levar alguns minutos até o registro aparecer. Mantenha-o publicado: ele é a prova de que o domínio é da empresa.",
		"id.check":                 "Verificar",
		"id.check_again":           "Verificar de novo",
		"id.last_check":            "Última consulta ao DNS: %s.",
		"id.check_timeout":         "O DNS não respondeu a tempo. Tente de novo em instantes.",
		"id.check_failure":         "A consulta ao DNS falhou (o servidor de DNS respondeu com erro). Tente de novo em instantes.",
		"id.found":                 "Registros TXT encontrados em %s:",
		"id.found_none":            "Nenhum registro TXT encontrado em %s.",
		"id.verified_domain_note":  "O domínio %s é da empresa desde %s: endereços dele recebem e-mail e podem enviar pelo relay.",
		"id.verified_address_note": "O endereço %s é da empresa desde %s.",
		"id.code_sent":             "Enviamos um código de 8 dígitos para %s (%s). Digite-o abaixo; ele vale 24 horas.",
		"id.code":                  "Código de verificação",
		"id.confirm":               "Confirmar",
		"id.resend":                "Enviar outro código",
		"id.remove_title":          "Remover",
		"id.remove_hint":           "Removido, o domínio ou endereço deixa de receber e-mail direto e de poder ser remetente pelo relay.",
		"id.remove":                "Remover",

		"id.err.no_mailer":       "Este servidor não tem relay de saída configurado (--relay), então não consegue enviar códigos. Verifique pelo domínio (registro TXT).",
		"id.err.wrong_code":      "Código incorreto.",
		"id.err.wrong_code_left": "Código incorreto. Restam %d tentativas.",
		"id.err.code_expired":    "O código expirou ou as tentativas acabaram. Peça um novo código.",
		"id.err.wait":            "Um código foi enviado há pouco (no máximo um por minuto e cinco por dia). Aguarde antes de pedir outro.",
		"id.err.taken":           "Outra empresa já verificou este domínio ou endereço neste Atende.",
		"id.err.send_failed":     "Não foi possível enviar o código agora. Tente de novo em instantes.",
		"id.err.not_found_yet":   "O registro ainda não foi encontrado. Confira o valor publicado e tente de novo em alguns minutos.",

		"admin.ok.domain_added":     "Domínio adicionado. Publique o registro abaixo.",
		"admin.ok.code_sent":        "Código enviado.",
		"admin.ok.domain_verified":  "Domínio verificado.",
		"admin.ok.address_verified": "Endereço verificado.",
		"admin.ok.identity_removed": "Removido.",

		"admin.notice.unverified":      "Endereço não verificado",
		"admin.notice.unverified_help": "Verifique o domínio ou o endereço para que ele receba e-mail direto e possa ser remetente.",
		"admin.notice.refused":         "E-mail recusado: endereço não verificado",
		"admin.notice.verify_link":     "Ir para Domínios e endereços",
		"admin.notice.unverified_body": "O canal «%[2]s» usa %[1]s, que a empresa ainda não verificou: e-mails enviados diretamente a esse endereço " +
			"(sem passar pelo endereço interno do canal) são recusados, e o relay do Atende não envia como ele.",
		"admin.notice.refused_body": "Em %[2]s chegou e-mail para %[1]s, que o canal «%[3]s» lista, mas que a empresa não verificou: a mensagem foi recusada " +
			"e o remetente recebeu o aviso de não entrega. Verifique o endereço ou o domínio, ou encaminhe esse e-mail ao endereço interno do canal.",

		"ch.verify_title":             "Verificação dos endereços deste canal",
		"ch.verify_role.primary":      "principal",
		"ch.verify_role.additional":   "adicional",
		"ch.verify_role.from":         "remetente",
		"ch.verify_not":               "não verificado",
		"ch.verify_other":             "verificado por outra empresa",
		"ch.verify_domain":            "verificar o domínio %s",
		"ch.verify_address":           "verificar só este endereço",
		"ch.verify_help":              "Enquanto não verificado: e-mails enviados diretamente ao endereço são recusados (os encaminhados ao endereço interno chegam normalmente) e o relay não envia como ele.",
		"ch.unverified_count":         "%d endereço(s) não verificado(s)",
		"ch.sender":                   "Remetente (De)",
		"ch.from_email_external_hint": "Usar e-mail (de): o endereço que o cliente vê como remetente. Em branco, o e-mail principal. A caixa de saída precisa ter permissão para enviar como ele.",
		"ch.from_email_internal_hint": "Em branco, o e-mail principal. O relay só envia como endereços ou domínios verificados pela empresa.",
		"ch.dns_title":                "Registros DNS para envio de %s",
		"ch.dns_intro":                "Publique estes registros no DNS do domínio para que as respostas enviadas pelo Atende passem em DKIM e SPF (e não caiam no spam).",
		"ch.dns_type":                 "Tipo",
		"ch.dns_name":                 "Nome",
		"ch.dns_value":                "Valor",
		"ch.dns_state":                "No DNS",
		"ch.dns_state.published":      "publicado",
		"ch.dns_state.not_found":      "não encontrado",
		"ch.dns_state.different":      "diferente",
		"ch.dns_state.lookup_failed":  "falha na consulta",
		"ch.dns_state.":               "—",
		"ch.dns_found":                "Encontrado:",
		"ch.dns_spf_merge":            "Se o domínio já tem um registro SPF (v=spf1), acrescente a parte a:/ip4: a ele em vez de publicar um segundo.",
		"ch.test_internal_ok":         "Tudo pronto para enviar: relay conectado, remetente verificado, DKIM e SPF publicados.",
		"ch.test_internal_failed":     "Falta algo para enviar bem por este canal:",
		"ch.test_relay_ok":            "Relay de saída conectado e autenticado.",
		"ch.test_from_ok":             "Remetente %s verificado.",
		"ch.test_record_ok":           "%s publicado em %s.",

		"err.internal_host":    "Este servidor fica numa rede interna, e o Atende não se conecta a redes internas por uma empresa. Use o endereço público (o operador do Atende pode liberar um servidor da própria rede com --allow-private-hosts).",
		"err.unverified_from":  "Este endereço não foi verificado pela empresa: o relay do Atende só envia como endereços ou domínios verificados. Verifique-o em Administração → Domínios e endereços.",
		"err.insecure_remote":  "Sem criptografia, a senha iria aberta pela rede: só é permitido para um servidor nesta mesma máquina (localhost).",
		"err.secret_elsewhere": "Digite a senha: a senha salva só é enviada ao servidor para o qual foi salva (mesmo servidor, porta, usuário e criptografia).",
		"err.domain":           "Informe um domínio como empresa.com.br.",
		"err.reserved":         "Este é o domínio interno do próprio Atende.",
		"err.taken":            "Outra empresa já verificou este domínio ou endereço.",
		"err.covered":          "Já é da empresa: o domínio dele está verificado.",
		"err.too_many_pending": "Há endereços demais aguardando verificação. Verifique ou remova alguns antes.",
	},
	LangEN: {
		"admin.identities.title": "Domains and addresses",
		"id.intro": "Only verified addresses receive mail sent straight to them (with Atende as the domain's mail server), and only they can be the From " +
			"of replies sent through Atende's relay. Verify a whole domain with a DNS TXT record, or a single address (a Gmail, say) with a code mailed to it. " +
			"Mail forwarded to a channel's inbound address keeps working without verification.",
		"id.kind":                  "Kind",
		"id.value":                 "Domain or address",
		"id.status":                "Status",
		"id.domain":                "Domain",
		"id.address":               "Address",
		"id.verified":              "Verified",
		"id.pending":               "Not verified",
		"id.open":                  "Open",
		"id.verify":                "Verify",
		"id.empty":                 "No domains or addresses yet.",
		"id.add_domain":            "Add a domain",
		"id.add_domain_hint":       "You publish a TXT record in the domain's DNS and Atende checks it. Every address of the domain then belongs to the company.",
		"id.add_domain_button":     "Add domain",
		"id.add_address":           "Add an address",
		"id.add_address_hint":      "For an address whose domain you don't control (Gmail, Outlook...): we mail it an 8-digit code.",
		"id.add_address_button":    "Send code",
		"id.publish":               "Publish this TXT record in the DNS of %s (in your DNS provider's panel; the name may show as \"@\"). Then click Verify.",
		"id.publish_hint":          "The record may take a few minutes to show. Keep it published: it is the proof that the domain belongs to the company.",
		"id.check":                 "Verify",
		"id.check_again":           "Check again",
		"id.last_check":            "Last DNS lookup: %s.",
		"id.check_timeout":         "The DNS did not answer in time. Try again in a moment.",
		"id.check_failure":         "The DNS lookup failed (the DNS server answered with an error). Try again in a moment.",
		"id.found":                 "TXT records found at %s:",
		"id.found_none":            "No TXT record found at %s.",
		"id.verified_domain_note":  "The domain %s belongs to the company since %s: its addresses receive mail and may send through the relay.",
		"id.verified_address_note": "The address %s belongs to the company since %s.",
		"id.code_sent":             "We mailed an 8-digit code to %s (%s). Enter it below; it is valid for 24 hours.",
		"id.code":                  "Verification code",
		"id.confirm":               "Confirm",
		"id.resend":                "Send another code",
		"id.remove_title":          "Remove",
		"id.remove_hint":           "Once removed, the domain or address no longer receives direct mail nor may be a relay From.",
		"id.remove":                "Remove",

		"id.err.no_mailer":       "This server has no outgoing relay configured (--relay), so it cannot mail codes. Verify through the domain (TXT record).",
		"id.err.wrong_code":      "Wrong code.",
		"id.err.wrong_code_left": "Wrong code. %d attempts left.",
		"id.err.code_expired":    "The code expired or its attempts are used up. Ask for a new code.",
		"id.err.wait":            "A code was sent a moment ago (at most one a minute and five a day). Wait before asking for another.",
		"id.err.taken":           "Another company already verified this domain or address on this Atende.",
		"id.err.send_failed":     "The code could not be mailed right now. Try again in a moment.",
		"id.err.not_found_yet":   "The record was not found yet. Check the published value and try again in a few minutes.",

		"admin.ok.domain_added":     "Domain added. Publish the record below.",
		"admin.ok.code_sent":        "Code sent.",
		"admin.ok.domain_verified":  "Domain verified.",
		"admin.ok.address_verified": "Address verified.",
		"admin.ok.identity_removed": "Removed.",

		"admin.notice.unverified":      "Address not verified",
		"admin.notice.unverified_help": "Verify the domain or the address so that it receives direct mail and may be a From.",
		"admin.notice.refused":         "Mail refused: address not verified",
		"admin.notice.verify_link":     "Go to Domains and addresses",
		"admin.notice.unverified_body": "The channel \"%[2]s\" uses %[1]s, which the company has not verified yet: mail sent straight to that address " +
			"(not through the channel's inbound address) is refused, and Atende's relay does not send as it.",
		"admin.notice.refused_body": "On %[2]s mail arrived for %[1]s, which the channel \"%[3]s\" lists but the company has not verified: it was refused " +
			"and the sender got a non-delivery notice. Verify the address or its domain, or forward that mail to the channel's inbound address.",

		"ch.verify_title":             "Verification of this channel's addresses",
		"ch.verify_role.primary":      "primary",
		"ch.verify_role.additional":   "additional",
		"ch.verify_role.from":         "From",
		"ch.verify_not":               "not verified",
		"ch.verify_other":             "verified by another company",
		"ch.verify_domain":            "verify the domain %s",
		"ch.verify_address":           "verify this address only",
		"ch.verify_help":              "Until verified: mail sent straight to the address is refused (mail forwarded to the inbound address arrives as usual) and the relay does not send as it.",
		"ch.unverified_count":         "%d unverified address(es)",
		"ch.sender":                   "Sender (From)",
		"ch.from_email_external_hint": "Use as From address: what the customer sees as the sender. Empty: the primary email. The mailbox must be allowed to send as it.",
		"ch.from_email_internal_hint": "Empty: the primary email. The relay only sends as addresses or domains the company verified.",
		"ch.dns_title":                "DNS records for sending from %s",
		"ch.dns_intro":                "Publish these records in the domain's DNS so that replies sent through Atende pass DKIM and SPF (and stay out of spam).",
		"ch.dns_type":                 "Type",
		"ch.dns_name":                 "Name",
		"ch.dns_value":                "Value",
		"ch.dns_state":                "In DNS",
		"ch.dns_state.published":      "published",
		"ch.dns_state.not_found":      "not found",
		"ch.dns_state.different":      "different",
		"ch.dns_state.lookup_failed":  "lookup failed",
		"ch.dns_state.":               "—",
		"ch.dns_found":                "Found:",
		"ch.dns_spf_merge":            "If the domain already has an SPF record (v=spf1), add the a:/ip4: part to it instead of publishing a second one.",
		"ch.test_internal_ok":         "Ready to send: relay connected, From verified, DKIM and SPF published.",
		"ch.test_internal_failed":     "Something is missing for this channel to send well:",
		"ch.test_relay_ok":            "Outgoing relay connected and authenticated.",
		"ch.test_from_ok":             "From %s verified.",
		"ch.test_record_ok":           "%s published at %s.",

		"err.internal_host":    "This server is on an internal network, and Atende does not connect to internal networks for a company. Use the public address (the Atende operator can allow a server of its own network with --allow-private-hosts).",
		"err.unverified_from":  "This address is not verified by the company: Atende's relay only sends as verified addresses or domains. Verify it under Administration → Domains and addresses.",
		"err.insecure_remote":  "Without encryption the password would cross the network in the clear: only allowed for a server on this machine (localhost).",
		"err.secret_elsewhere": "Enter the password: the saved password is only sent to the server it was saved for (same server, port, user and encryption).",
		"err.domain":           "Enter a domain such as empresa.com.br.",
		"err.reserved":         "This is Atende's own inbound domain.",
		"err.taken":            "Another company already verified this domain or address.",
		"err.covered":          "It is already the company's: its domain is verified.",
		"err.too_many_pending": "Too many addresses are waiting for verification. Verify or remove some first.",
	},
}

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
