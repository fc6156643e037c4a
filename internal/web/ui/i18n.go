package ui

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/text/language"

	"github.com/atende-helpdesk/atende/internal/directory"
)

// Languages the UI speaks; the first is the default.
const (
	LangPT = "pt-BR"
	LangEN = "en"
)

var matcher = language.NewMatcher([]language.Tag{language.BrazilianPortuguese, language.English})

// catalog holds every label and message, per language: the core pages'
// messages plus each feature's own table (i18n_*.go), merged once.
var catalog = mergeCatalogs(coreMessages, channelMessages, adminMessages, customerMessages, identityMessages)

// mergeCatalogs joins message tables; a key defined twice is a bug.
func mergeCatalogs(parts ...map[string]map[string]string) map[string]map[string]string {
	out := map[string]map[string]string{LangPT: {}, LangEN: {}}
	for _, part := range parts {
		for lang, msgs := range part {
			for k, v := range msgs {
				if _, dup := out[lang][k]; dup {
					panic("ui: message key defined twice: " + k)
				}
				out[lang][k] = v
			}
		}
	}
	return out
}

// coreMessages: layout, setup, login, inbox and ticket pages.
var coreMessages = map[string]map[string]string{
	LangPT: {
		"app.name":                "Atende",
		"app.skip":                "Pular para o conteúdo",
		"nav.inbox":               "Atendimentos",
		"nav.channels":            "Canais",
		"nav.admin":               "Administração",
		"nav.logout":              "Sair",
		"nav.signed_in_as":        "Conectado como %s",
		"nav.language":            "Idioma",
		"nav.language_save":       "Trocar idioma",
		"setup.title":             "Configuração inicial",
		"setup.intro":             "Crie a empresa e o primeiro administrador. Esta página só aparece uma vez.",
		"setup.company":           "Empresa",
		"setup.company_name":      "Nome da empresa",
		"setup.company_slug":      "Identificador da empresa",
		"setup.slug_hint":         "Letras minúsculas, números e hífen; usado para entrar.",
		"setup.admin":             "Primeiro administrador",
		"setup.admin_name":        "Nome",
		"setup.admin_email":       "E-mail",
		"setup.admin_password":    "Senha",
		"setup.password_hint":     "Pelo menos 10 caracteres.",
		"setup.submit":            "Criar empresa",
		"setup.done":              "Empresa criada. Entre com o e-mail e a senha do administrador.",
		"login.title":             "Entrar",
		"login.company":           "Empresa",
		"login.email":             "E-mail",
		"login.password":          "Senha",
		"login.submit":            "Entrar",
		"login.invalid":           "E-mail, senha ou empresa incorretos.",
		"login.locked":            "Muitas tentativas sem sucesso. Por segurança, espere até %s (cerca de %d min) para tentar de novo desta conexão.",
		"login.busy":              "Muitos acessos ao mesmo tempo. Tente de novo em alguns segundos.",
		"login.logged_out":        "Você saiu.",
		"inbox.title":             "Atendimentos",
		"inbox.filters":           "Filtros",
		"inbox.status":            "Status",
		"inbox.team":              "Equipe",
		"inbox.assignee":          "Responsável",
		"inbox.channel":           "Canal",
		"inbox.search":            "Buscar",
		"inbox.search_ph":         "Assunto, contato ou texto",
		"inbox.any":               "Todos",
		"inbox.apply":             "Filtrar",
		"inbox.clear":             "Limpar",
		"inbox.empty":             "Nenhum atendimento por aqui.",
		"inbox.older":             "Mais antigos",
		"inbox.unread":            "Não lido",
		"inbox.live":              "Atualização automática ativa",
		"inbox.number":            "Nº",
		"inbox.subject":           "Assunto",
		"inbox.contact":           "Contato",
		"inbox.updated":           "Última mensagem",
		"status.open":             "Aberto",
		"status.pending":          "Pendente",
		"status.resolved":         "Resolvido",
		"status.closed":           "Fechado",
		"msg.queued":              "Na fila de envio",
		"msg.sent":                "Enviada",
		"msg.failed":              "Falhou",
		"ticket.back":             "Voltar para atendimentos",
		"ticket.thread":           "Conversa",
		"ticket.from":             "De",
		"ticket.to":               "Para",
		"ticket.cc":               "Cc",
		"ticket.bcc":              "Cco",
		"ticket.date":             "Data",
		"ticket.note":             "Comentário interno",
		"ticket.outgoing":         "Resposta do agente",
		"ticket.msg_status":       "Situação do envio",
		"ticket.show_images":      "Exibir imagens",
		"ticket.images_hint":      "Imagens externas foram bloqueadas para proteger sua privacidade.",
		"ticket.show_quote":       "Mostrar texto citado",
		"ticket.message_body":     "Conteúdo da mensagem",
		"ticket.attachments":      "Anexos",
		"ticket.dmarc":            "Atenção: o remetente não passou na verificação de autenticidade (DMARC). A mensagem pode ser falsificada; não confie em links nem em pedidos de pagamento.",
		"ticket.partial":          "Esta mensagem não pôde ser lida por completo: o texto abaixo pode estar incompleto ou com caracteres trocados.",
		"ticket.partial_download": "Baixar a mensagem original (.eml) para abrir no seu programa de e-mail.",
		"ticket.partial_detail":   "Detalhe técnico",
		"ticket.raw_download":     "Baixar original (.eml)",
		"ticket.merged":           "Este atendimento foi unido ao atendimento #%d.",
		"ticket.contact":          "Contato",
		"ticket.details":          "Detalhes",
		"ticket.status":           "Status",
		"ticket.change_status":    "Alterar status",
		"ticket.team":             "Equipe",
		"ticket.assignee":         "Responsável",
		"ticket.nobody":           "Ninguém",
		"ticket.no_team":          "Sem equipe",
		"ticket.assign":           "Atribuir",
		"ticket.add_note":         "Adicionar comentário",
		"ticket.note_text":        "Comentário (não é enviado ao contato)",
		"ticket.reply":            "Responder",
		"ticket.reply_to":         "Para",
		"ticket.reply_cc":         "Cc",
		"ticket.reply_bcc":        "Cco",
		"ticket.quote":            "Citação",
		"ticket.quote_default":    "Padrão do canal",
		"ticket.quote_show":       "Exibir uma citação na resposta",
		"ticket.quote_none":       "Não citar",
		"ticket.addr_hint":        "Separe os endereços por vírgula. Em branco, Para é o contato (ou o último remetente) e Cc são os demais participantes da conversa.",
		"ticket.reply_text":       "Mensagem",
		"ticket.send":             "Enviar resposta",
		"ticket.forward":          "Encaminhar",
		"ticket.forward_to":       "Encaminhar para",
		"ticket.forward_text":     "Mensagem para o destinatário",
		"ticket.forward_send":     "Encaminhar conversa",
		"ticket.forwarded":        "Conversa encaminhada; está na fila de envio.",
		"ticket.saved":            "Salvo.",
		"ticket.sent":             "Resposta colocada na fila de envio.",
		"ticket.no_messages":      "Nenhuma mensagem.",
		"ticket.new_activity":     "Há novidades neste atendimento.",
		"ticket.reload":           "Atualizar",
		"err.required":            "Campo obrigatório.",
		"err.email":               "Informe um endereço de e-mail, como ana@empresa.com.br.",
		"err.password_short":      "A senha precisa ter pelo menos %s caracteres.",
		"err.too_long":            "Texto longo demais (máximo %s).",
		"err.slug":                "Use de 1 a 63 letras minúsculas, números e '-', sem começar ou terminar com '-'.",
		"err.in_use":              "Já está em uso.",
		"err.no_team":             "Equipe inexistente.",
		"err.no_agent":            "Agente inexistente ou desativado.",
		"err.status":              "Status inválido.",
		"err.invalid":             "Valor inválido: %s",
		"err.invalid_language":    "Idioma não suportado: use pt-BR ou en.",
		"err.csrf":                "Sua sessão de formulário expirou. Recarregue a página e tente de novo.",
		"err.setup_done":          "A configuração inicial já foi feita.",
		"err.not_found":           "Página não encontrada.",
		"err.forbidden":           "Você não tem acesso a este atendimento.",
		"err.internal":            "Algo deu errado do nosso lado. Tente de novo em instantes.",
		"err.form":                "Corrija os campos destacados.",
		"err.title":               "Erro",
		// Reply attachments, signature preview, merge.
		"ticket.attach_files":        "Anexar arquivos",
		"ticket.attach_hint":         "Até 25 MB no total.",
		"ticket.err_attach_size":     "Os anexos passam de 25 MB no total.",
		"ticket.signature_preview":   "Assinatura que será usada",
		"ticket.signature_own":       "sua assinatura pessoal",
		"ticket.signature_channel":   "assinatura geral do canal",
		"ticket.signature_none":      "Nenhuma assinatura será adicionada.",
		"ticket.merge":               "Unir atendimentos",
		"ticket.merge_into":          "Unir a este atendimento nº",
		"ticket.merge_hint":          "As mensagens deste atendimento passam para o outro, e este é fechado.",
		"ticket.merge_send":          "Unir",
		"ticket.merged_ok":           "Atendimentos unidos.",
		"ticket.err_no_ticket":       "Não existe atendimento com esse número.",
		"ticket.err_merge_self":      "Não é possível unir um atendimento a ele mesmo.",
		"ticket.err_merge_not_yours": "Esse atendimento não é seu.",
		"ticket.err_merge_chained":   "Esse atendimento já foi unido a outro.",
		"ticket.err_merge_done":      "Este atendimento já foi unido a outro.",
	},
	LangEN: {
		"app.name":                "Atende",
		"app.skip":                "Skip to content",
		"nav.inbox":               "Tickets",
		"nav.channels":            "Channels",
		"nav.admin":               "Administration",
		"nav.logout":              "Log out",
		"nav.signed_in_as":        "Signed in as %s",
		"nav.language":            "Language",
		"nav.language_save":       "Change language",
		"setup.title":             "First-run setup",
		"setup.intro":             "Create the company and its first admin. This page is shown only once.",
		"setup.company":           "Company",
		"setup.company_name":      "Company name",
		"setup.company_slug":      "Company identifier",
		"setup.slug_hint":         "Lowercase letters, digits and hyphens; used to log in.",
		"setup.admin":             "First admin",
		"setup.admin_name":        "Name",
		"setup.admin_email":       "Email",
		"setup.admin_password":    "Password",
		"setup.password_hint":     "At least 10 characters.",
		"setup.submit":            "Create company",
		"setup.done":              "Company created. Log in with the admin's email and password.",
		"login.title":             "Log in",
		"login.company":           "Company",
		"login.email":             "Email",
		"login.password":          "Password",
		"login.submit":            "Log in",
		"login.invalid":           "Wrong email, password or company.",
		"login.locked":            "Too many failed attempts. For your security, wait until %s (about %d min) before trying again from this connection.",
		"login.busy":              "Too many logins at once. Try again in a few seconds.",
		"login.logged_out":        "You have logged out.",
		"inbox.title":             "Tickets",
		"inbox.filters":           "Filters",
		"inbox.status":            "Status",
		"inbox.team":              "Team",
		"inbox.assignee":          "Assignee",
		"inbox.channel":           "Channel",
		"inbox.search":            "Search",
		"inbox.search_ph":         "Subject, contact or text",
		"inbox.any":               "Any",
		"inbox.apply":             "Filter",
		"inbox.clear":             "Clear",
		"inbox.empty":             "No tickets here.",
		"inbox.older":             "Older",
		"inbox.unread":            "Unread",
		"inbox.live":              "Live updates on",
		"inbox.number":            "No.",
		"inbox.subject":           "Subject",
		"inbox.contact":           "Contact",
		"inbox.updated":           "Last message",
		"status.open":             "Open",
		"status.pending":          "Pending",
		"status.resolved":         "Resolved",
		"status.closed":           "Closed",
		"msg.queued":              "Queued",
		"msg.sent":                "Sent",
		"msg.failed":              "Failed",
		"ticket.back":             "Back to tickets",
		"ticket.thread":           "Conversation",
		"ticket.from":             "From",
		"ticket.to":               "To",
		"ticket.cc":               "Cc",
		"ticket.bcc":              "Bcc",
		"ticket.date":             "Date",
		"ticket.note":             "Internal note",
		"ticket.outgoing":         "Agent reply",
		"ticket.msg_status":       "Delivery status",
		"ticket.show_images":      "Show images",
		"ticket.images_hint":      "Remote images were blocked to protect your privacy.",
		"ticket.show_quote":       "Show quoted text",
		"ticket.message_body":     "Message content",
		"ticket.attachments":      "Attachments",
		"ticket.dmarc":            "Warning: the sender failed the authenticity check (DMARC). This message may be forged; do not trust its links or payment requests.",
		"ticket.partial":          "This message could not be fully read: the text below may be incomplete or show wrong characters.",
		"ticket.partial_download": "Download the original message (.eml) to open it in your mail program.",
		"ticket.partial_detail":   "Technical detail",
		"ticket.raw_download":     "Download original (.eml)",
		"ticket.merged":           "This ticket was merged into ticket #%d.",
		"ticket.contact":          "Contact",
		"ticket.details":          "Details",
		"ticket.status":           "Status",
		"ticket.change_status":    "Change status",
		"ticket.team":             "Team",
		"ticket.assignee":         "Assignee",
		"ticket.nobody":           "Nobody",
		"ticket.no_team":          "No team",
		"ticket.assign":           "Assign",
		"ticket.add_note":         "Add note",
		"ticket.note_text":        "Note (not sent to the contact)",
		"ticket.reply":            "Reply",
		"ticket.reply_to":         "To",
		"ticket.reply_cc":         "Cc",
		"ticket.reply_bcc":        "Bcc",
		"ticket.quote":            "Quote",
		"ticket.quote_default":    "Channel default",
		"ticket.quote_show":       "Show quote in reply",
		"ticket.quote_none":       "No quote",
		"ticket.addr_hint":        "Separate addresses with commas. Left empty, To is the contact (or the last sender) and Cc is everyone else on the thread.",
		"ticket.reply_text":       "Message",
		"ticket.send":             "Send reply",
		"ticket.forward":          "Forward",
		"ticket.forward_to":       "Forward to",
		"ticket.forward_text":     "Message to the recipient",
		"ticket.forward_send":     "Forward conversation",
		"ticket.forwarded":        "Conversation forwarded; it is queued for sending.",
		"ticket.saved":            "Saved.",
		"ticket.sent":             "Reply queued for sending.",
		"ticket.no_messages":      "No messages.",
		"ticket.new_activity":     "This ticket has new activity.",
		"ticket.reload":           "Refresh",
		"err.required":            "This field is required.",
		"err.email":               "Enter an email address such as ana@company.com.",
		"err.password_short":      "The password must have at least %s characters.",
		"err.too_long":            "Too long (at most %s).",
		"err.slug":                "Use 1 to 63 lowercase letters, digits and '-', not starting or ending with '-'.",
		"err.in_use":              "Already in use.",
		"err.no_team":             "No such team.",
		"err.no_agent":            "No such active agent.",
		"err.status":              "Invalid status.",
		"err.invalid":             "Invalid value: %s",
		"err.invalid_language":    "Unsupported language: use pt-BR or en.",
		"err.csrf":                "Your form session expired. Reload the page and try again.",
		"err.setup_done":          "Setup has already been done.",
		"err.not_found":           "Page not found.",
		"err.forbidden":           "You do not have access to this ticket.",
		"err.internal":            "Something went wrong on our side. Try again in a moment.",
		"err.form":                "Fix the highlighted fields.",
		"err.title":               "Error",
		// Reply attachments, signature preview, merge.
		"ticket.attach_files":        "Attach files",
		"ticket.attach_hint":         "Up to 25 MB in total.",
		"ticket.err_attach_size":     "The attachments exceed 25 MB in total.",
		"ticket.signature_preview":   "Signature that will be used",
		"ticket.signature_own":       "your personal signature",
		"ticket.signature_channel":   "the channel's signature",
		"ticket.signature_none":      "No signature will be added.",
		"ticket.merge":               "Merge tickets",
		"ticket.merge_into":          "Merge into ticket #",
		"ticket.merge_hint":          "This ticket's messages move to the other one, and this one is closed.",
		"ticket.merge_send":          "Merge",
		"ticket.merged_ok":           "Tickets merged.",
		"ticket.err_no_ticket":       "There is no ticket with that number.",
		"ticket.err_merge_self":      "A ticket cannot be merged into itself.",
		"ticket.err_merge_not_yours": "That ticket is not one of yours.",
		"ticket.err_merge_chained":   "That ticket was itself merged into another.",
		"ticket.err_merge_done":      "This ticket was already merged.",
	},
}

// Localizer translates for one language.
type Localizer struct{ Lang string }

// T returns the message for key, formatted with args; an unknown key
// renders as "!key" so a missing translation is visible (and tested).
func (l Localizer) T(key string, args ...any) string {
	s, ok := catalog[l.Lang][key]
	if !ok {
		return "!" + key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Status translates a ticket status.
func (l Localizer) Status(s any) string { return l.T(fmt.Sprintf("status.%s", s)) }

// pickLanguage is the agent's setting when valid, else the best match of
// Accept-Language, else pt-BR.
func pickLanguage(agentLang string, r *http.Request) string {
	if agentLang == LangPT || agentLang == LangEN {
		return agentLang
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			_, idx, conf := matcher.Match(tags...)
			if conf != language.No && idx == 1 {
				return LangEN
			}
		}
	}
	return LangPT
}

var (
	reAtLeast = regexp.MustCompile(`^must be at least (\d+) characters$`)
	reAtMost  = regexp.MustCompile(`^must be at most (\d+ \w+)$`)
)

// fieldMessage translates a directory/ticket validation message.
func (l Localizer) fieldMessage(msg string) string {
	if t, ok := securityFieldMessage(l, msg); ok {
		return t
	}
	switch {
	case msg == "required":
		return l.T("err.required")
	case strings.HasPrefix(msg, "must be an email address"):
		return l.T("err.email")
	case strings.HasPrefix(msg, "use 1 to 63 lowercase"):
		return l.T("err.slug")
	case msg == "already in use":
		return l.T("err.in_use")
	case msg == "no such team":
		return l.T("err.no_team")
	case msg == "no such active agent":
		return l.T("err.no_agent")
	case strings.HasPrefix(msg, "must be open, pending"):
		return l.T("err.status")
	case strings.HasPrefix(msg, "must be a time zone"):
		return l.T("err.time_zone")
	case strings.HasPrefix(msg, "must be low, normal"):
		return l.T("err.priority")
	case strings.HasPrefix(msg, "at most 20 tags") || strings.HasPrefix(msg, "each tag at most"):
		return l.T("err.tags")
	case msg == "attachments exceed 25 MB":
		return l.T("ticket.err_attach_size")
	case msg == "no such ticket":
		return l.T("ticket.err_no_ticket")
	case msg == "cannot merge a ticket into itself":
		return l.T("ticket.err_merge_self")
	case msg == "not one of your tickets":
		return l.T("ticket.err_merge_not_yours")
	case msg == "that ticket was itself merged into another":
		return l.T("ticket.err_merge_chained")
	case msg == "this ticket was already merged":
		return l.T("ticket.err_merge_done")
	}
	if m := reAtLeast.FindStringSubmatch(msg); m != nil {
		return l.T("err.password_short", m[1])
	}
	if m := reAtMost.FindStringSubmatch(msg); m != nil {
		n, unit, _ := strings.Cut(m[1], " ")
		if l.Lang == LangPT {
			unit = map[string]string{"characters": "caracteres", "bytes": "bytes", "addresses": "endereços"}[unit]
		}
		return l.T("err.too_long", n+" "+unit)
	}
	return l.T("err.invalid", msg)
}

// fieldErrors maps a validation error to translated messages by field.
func (l Localizer) fieldErrors(v directory.ValidationError) map[string]string {
	out := map[string]string{}
	for _, fe := range v {
		if _, dup := out[fe.Field]; !dup {
			out[fe.Field] = l.fieldMessage(fe.Message)
		}
	}
	return out
}

// itoa is strconv.FormatInt for templates.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }
