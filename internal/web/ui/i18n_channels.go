package ui

import (
	"regexp"
	"strings"

	"github.com/atende-helpdesk/atende/internal/directory"
)

// channelMessages: the channel list and form (menu Canais) and the rule editor.
var channelMessages = map[string]map[string]string{
	LangPT: {
		"ch.copy_to_sent":             "Guardar uma cópia das mensagens enviadas na pasta de enviados (para provedores que não guardam)",
		"ch.sent_folder":              "Pasta de enviados",
		"ch.title":                    "Canais",
		"ch.forbidden":                "Apenas administradores podem configurar canais.",
		"ch.add":                      "Adicionar canal de e-mail",
		"ch.none":                     "Nenhum canal ainda. Use o botão + para conectar uma caixa de e-mail.",
		"ch.name":                     "Nome do canal",
		"ch.connection":               "Tipo de conexão",
		"ch.status":                   "Status",
		"ch.sending":                  "Envios hoje",
		"ch.actions":                  "Ações",
		"ch.rule":                     "Regra",
		"ch.edit_short":               "Editar",
		"ch.regenerate":               "Gerar novo endereço",
		"ch.regenerate_warning":       "Um novo endereço de entrada substitui o atual: e-mails enviados ao endereço antigo deixam de chegar. Atualize o encaminhamento da sua caixa de correio depois.",
		"ch.regenerate_confirm":       "Entendo que o endereço atual deixará de funcionar",
		"ch.regen_unconfirmed":        "Marque a confirmação para gerar um novo endereço.",
		"ch.regenerated":              "Novo endereço de entrada gerado. Atualize o encaminhamento da sua caixa de correio.",
		"ch.regen_internal_only":      "Somente canais com conexão interna têm endereço de entrada.",
		"ch.outgoing_conn":            "Conexão de saída",
		"ch.outgoing_same":            "Igual à conexão de entrada",
		"ch.office365":                "Office 365 (saída)",
		"ch.import":                   "Importação",
		"ch.folders":                  "Pastas a sincronizar",
		"ch.folders_hint":             "Separe as pastas por vírgula. Padrão: INBOX.",
		"ch.after_import":             "Depois de importar",
		"ch.after_none":               "Deixar como está",
		"ch.after_mark_read":          "Marcar como lida",
		"ch.after_move":               "Mover para a pasta",
		"ch.move_to":                  "Pasta de destino",
		"ch.history":                  "Histórico na primeira conexão",
		"ch.history_none":             "Nenhum (só e-mails novos)",
		"ch.history_days":             "Últimos N dias",
		"ch.history_all":              "Todo o histórico",
		"ch.history_days_n":           "Número de dias",
		"ch.err.folder":               "Nome de pasta inválido.",
		"ch.err.folder_twice":         "Esta pasta está repetida.",
		"ch.err.folders_max":          "Informe no máximo %d pastas.",
		"ch.err.move_to":              "Informe a pasta para onde mover os e-mails.",
		"ch.err.history_days":         "Informe um número de dias entre 1 e %d.",
		"ch.err.choice":               "Escolha uma das opções.",
		"ch.err.outgoing":             "Escolha uma conexão de saída válida.",
		"ch.internal":                 "Conexão interna",
		"ch.external":                 "Conexão externa",
		"ch.state.connected":          "Conectado",
		"ch.state.syncing":            "Sincronizando %d/%d",
		"ch.state.idle":               "Em espera",
		"ch.state.error":              "Erro",
		"ch.state.reconnect_needed":   "Reconexão necessária",
		"ch.state.disabled":           "Desativado",
		"ch.state.pending":            "Aguardando conexão",
		"ch.sent_quota":               "%d de %d e-mails enviados hoje",
		"ch.sent_unlimited":           "%d e-mails enviados hoje (sem limite)",
		"ch.queued":                   "%d na fila",
		"ch.paused":                   "envio pausado: %s",
		"ch.saved":                    "Canal salvo.",
		"ch.new":                      "Novo canal de e-mail",
		"ch.edit":                     "Editar canal",
		"ch.block_email":              "E-mail",
		"ch.block_conn":               "Definir tipos de conexão",
		"ch.signature":                "Assinatura",
		"ch.signature_hint":           "HTML permitido (negrito, links, listas); o restante é removido. A assinatura pessoal do agente tem prioridade.",
		"ch.show_quote":               "Exibir uma citação na resposta",
		"ch.enabled":                  "Canal ativo (desmarque para pausar a sincronização e o envio)",
		"ch.forward_new_ticket":       "Encaminhamento — um novo ticket",
		"ch.primary_email":            "E-mail principal",
		"ch.incoming":                 "Conexão de entrada",
		"ch.outgoing":                 "Conexão de saída",
		"ch.inbound_address":          "Endereço interno",
		"ch.inbound_hint":             "Configure o encaminhamento da sua caixa de correio para este endereço.",
		"ch.inbound_after_save":       "O endereço interno aparece depois de salvar o canal.",
		"ch.copy":                     "Copiar",
		"ch.copied":                   "Copiado",
		"ch.additional_emails":        "E-mail adicional",
		"ch.additional_hint":          "Um endereço por linha.",
		"ch.from_name":                "Do nome",
		"ch.from_email":               "Do e-mail",
		"ch.carbon_copy":              "Cópia Carbono",
		"ch.no_quote":                 "Não citar",
		"ch.provider":                 "Provedor",
		"ch.provider_choose":          "Escolha o provedor",
		"ch.provider_other":           "Outros",
		"ch.app_password_tip":         "Ao optar pelo provedor Gmail ou Yahoo, a senha solicitada não é a senha de login do endereço, mas sim a senha de app gerada nas configurações da conta (Fazer login com senhas de app).",
		"ch.account_kind":             "Tipo de conta",
		"ch.account_business":         "Enterprise/Comercial",
		"ch.account_personal":         "Pessoal",
		"ch.personal_warning":         "Contas pessoais costumam permitir o envio de até cerca de %d e-mails por dia. Após o limite, só será possível receber e-mails. Recomendamos contas Enterprise/Comercial.",
		"ch.auth":                     "Método de autenticação",
		"ch.auth_password":            "Senha",
		"ch.oauth_google":             "Conectar com Google",
		"ch.oauth_microsoft":          "Conectar com Microsoft",
		"ch.oauth_after_save":         "Salve o canal para conectar a conta por OAuth.",
		"ch.oauth_unavailable":        "OAuth não está configurado neste servidor.",
		"ch.host":                     "Servidor (host)",
		"ch.port":                     "Porta",
		"ch.encryption":               "Criptografada",
		"ch.username":                 "Nome de usuário",
		"ch.password":                 "Senha",
		"ch.password_saved":           "Senha salva (deixe em branco para manter)",
		"ch.same_as_imap":             "igual ao IMAP",
		"ch.test":                     "Testar conexão",
		"ch.testing":                  "Testando…",
		"ch.test_ok":                  "Conexão bem-sucedida.",
		"ch.test_failed":              "A conexão falhou.",
		"ch.test_unavailable":         "O teste de conexão não está disponível neste servidor.",
		"ch.save":                     "Salvar",
		"ch.fix_errors":               "Corrija os campos destacados.",
		"ch.err.port":                 "Informe uma porta entre 1 e 65535.",
		"ch.err.host":                 "Informe um nome de servidor, como imap.empresa.com.br.",
		"ch.err.required_external":    "Obrigatório para uma conexão externa.",
		"ch.err.domain":               "Informe um domínio, como empresa.com.br, sem @.",
		"ch.err.empty":                "Não pode ficar vazio.",
		"ch.err.never_matches":        "Nunca é usado: um filtro anterior sempre o alcança antes.",
		"ch.err.initial_message":      "Obrigatória quando o envio da mensagem inicial está ativado.",
		"ch.err.priority":             "Escolha baixa, normal, alta ou urgente.",
		"ch.err.repeat":               "Repete outro endereço deste canal.",
		"ch.err.no_secrets":           "O armazenamento de senhas não está configurado neste servidor.",
		"rule.title":                  "Regra do canal %s",
		"rule.saved":                  "Regra salva.",
		"rule.rules":                  "Regras",
		"rule.default_team":           "Equipe Padrão",
		"rule.auto_reply":             "Resposta automática",
		"rule.send_initial":           "Enviar a mensagem inicial ao contato",
		"rule.initial_message":        "Mensagem Inicial",
		"rule.filters":                "Filtros de e-mail específico",
		"rule.filters_hint":           "O primeiro filtro que combinar decide a equipe; os demais atendimentos vão para a Equipe Padrão.",
		"rule.filter":                 "Filtro",
		"rule.kind":                   "Condição",
		"rule.kind.sender_address":    "Endereço do remetente",
		"rule.kind.sender_domain":     "Domínio do remetente",
		"rule.kind.recipient_address": "Endereço do destinatário",
		"rule.kind.subject_contains":  "Assunto contém",
		"rule.kind.body_contains":     "Corpo contém",
		"rule.value":                  "Valor",
		"rule.team":                   "Equipe",
		"rule.team_default":           "Equipe Padrão",
		"rule.assignee":               "Responsável",
		"rule.nobody":                 "Ninguém",
		"rule.priority":               "Prioridade",
		"rule.priority.low":           "Baixa",
		"rule.priority.normal":        "Normal",
		"rule.priority.high":          "Alta",
		"rule.priority.urgent":        "Urgente",
		"rule.tags":                   "Etiquetas (separadas por vírgula)",
		"rule.add":                    "Adicionar filtro",
		"rule.remove":                 "Remover filtro",
		"rule.save":                   "Salvar regra",
	},
	LangEN: {
		"ch.copy_to_sent":             "Keep a copy of sent messages in the Sent folder (for providers that don't)",
		"ch.sent_folder":              "Sent folder",
		"ch.title":                    "Channels",
		"ch.forbidden":                "Only admins can configure channels.",
		"ch.add":                      "Add an email channel",
		"ch.none":                     "No channels yet. Use the + button to connect a mailbox.",
		"ch.name":                     "Channel name",
		"ch.connection":               "Connection type",
		"ch.status":                   "Status",
		"ch.sending":                  "Sent today",
		"ch.actions":                  "Actions",
		"ch.rule":                     "Rule",
		"ch.edit_short":               "Edit",
		"ch.regenerate":               "Generate new address",
		"ch.regenerate_warning":       "A new inbound address replaces the current one: mail sent to the old address will no longer arrive. Update your mailbox's forwarding afterwards.",
		"ch.regenerate_confirm":       "I understand the current address will stop working",
		"ch.regen_unconfirmed":        "Tick the confirmation to generate a new address.",
		"ch.regenerated":              "New inbound address generated. Update your mailbox's forwarding.",
		"ch.regen_internal_only":      "Only channels with an internal connection have an inbound address.",
		"ch.outgoing_conn":            "Outgoing connection",
		"ch.outgoing_same":            "Same as the incoming connection",
		"ch.office365":                "Office 365 (outgoing)",
		"ch.import":                   "Import",
		"ch.folders":                  "Folders to sync",
		"ch.folders_hint":             "Separate folders with commas. Default: INBOX.",
		"ch.after_import":             "After import",
		"ch.after_none":               "Leave untouched",
		"ch.after_mark_read":          "Mark as read",
		"ch.after_move":               "Move to folder",
		"ch.move_to":                  "Destination folder",
		"ch.history":                  "History on first connect",
		"ch.history_none":             "None (new mail only)",
		"ch.history_days":             "Last N days",
		"ch.history_all":              "All history",
		"ch.history_days_n":           "Number of days",
		"ch.err.folder":               "Not a valid folder name.",
		"ch.err.folder_twice":         "This folder is listed twice.",
		"ch.err.folders_max":          "Enter at most %d folders.",
		"ch.err.move_to":              "Enter the folder to move the mail to.",
		"ch.err.history_days":         "Enter a number of days between 1 and %d.",
		"ch.err.choice":               "Choose one of the options.",
		"ch.err.outgoing":             "Choose a valid outgoing connection.",
		"ch.internal":                 "Internal connection",
		"ch.external":                 "External connection",
		"ch.state.connected":          "Connected",
		"ch.state.syncing":            "Syncing %d/%d",
		"ch.state.idle":               "Idle",
		"ch.state.error":              "Error",
		"ch.state.reconnect_needed":   "Reconnect needed",
		"ch.state.disabled":           "Disabled",
		"ch.state.pending":            "Waiting to connect",
		"ch.sent_quota":               "%d of %d emails sent today",
		"ch.sent_unlimited":           "%d emails sent today (no limit)",
		"ch.queued":                   "%d queued",
		"ch.paused":                   "sending paused: %s",
		"ch.saved":                    "Channel saved.",
		"ch.new":                      "New email channel",
		"ch.edit":                     "Edit channel",
		"ch.block_email":              "Email",
		"ch.block_conn":               "Connection types",
		"ch.signature":                "Signature",
		"ch.signature_hint":           "HTML allowed (bold, links, lists); anything else is removed. An agent's personal signature wins.",
		"ch.show_quote":               "Show a quote in the reply",
		"ch.enabled":                  "Channel enabled (untick to pause syncing and sending)",
		"ch.forward_new_ticket":       "Forward creates a new ticket",
		"ch.primary_email":            "Primary email",
		"ch.incoming":                 "Incoming connection",
		"ch.outgoing":                 "Outgoing connection",
		"ch.inbound_address":          "Inbound address",
		"ch.inbound_hint":             "Forward your mailbox to this address.",
		"ch.inbound_after_save":       "The inbound address appears once the channel is saved.",
		"ch.copy":                     "Copy",
		"ch.copied":                   "Copied",
		"ch.additional_emails":        "Additional emails",
		"ch.additional_hint":          "One address per line.",
		"ch.from_name":                "From name",
		"ch.from_email":               "From email",
		"ch.carbon_copy":              "Carbon copy",
		"ch.no_quote":                 "No quote",
		"ch.provider":                 "Provider",
		"ch.provider_choose":          "Choose the provider",
		"ch.provider_other":           "Other",
		"ch.app_password_tip":         "With Gmail or Yahoo the password asked here is not the account's login password but an app password generated in the account settings (Sign in with app passwords).",
		"ch.account_kind":             "Account kind",
		"ch.account_business":         "Business",
		"ch.account_personal":         "Personal",
		"ch.personal_warning":         "Personal accounts usually allow sending only about %d emails a day. After the limit you can only receive mail. Business accounts are strongly recommended.",
		"ch.auth":                     "Authentication",
		"ch.auth_password":            "Password",
		"ch.oauth_google":             "Connect with Google",
		"ch.oauth_microsoft":          "Connect with Microsoft",
		"ch.oauth_after_save":         "Save the channel to connect the account with OAuth.",
		"ch.oauth_unavailable":        "OAuth is not configured on this server.",
		"ch.host":                     "Host",
		"ch.port":                     "Port",
		"ch.encryption":               "Encryption",
		"ch.username":                 "Username",
		"ch.password":                 "Password",
		"ch.password_saved":           "Password saved (leave blank to keep it)",
		"ch.same_as_imap":             "same as IMAP",
		"ch.test":                     "Test connection",
		"ch.testing":                  "Testing…",
		"ch.test_ok":                  "Connection succeeded.",
		"ch.test_failed":              "The connection failed.",
		"ch.test_unavailable":         "The connection test is not available on this server.",
		"ch.save":                     "Save",
		"ch.fix_errors":               "Please fix the highlighted fields.",
		"ch.err.port":                 "Enter a port between 1 and 65535.",
		"ch.err.host":                 "Enter a host name such as imap.company.com.",
		"ch.err.required_external":    "Required for an external connection.",
		"ch.err.domain":               "Enter a domain such as company.com, without @.",
		"ch.err.empty":                "Must not be empty.",
		"ch.err.never_matches":        "Never used: an earlier filter always matches first.",
		"ch.err.initial_message":      "Required when sending the initial message is on.",
		"ch.err.priority":             "Choose low, normal, high or urgent.",
		"ch.err.repeat":               "Repeats another address of this channel.",
		"ch.err.no_secrets":           "Password storage is not configured on this server.",
		"rule.title":                  "Rule of channel %s",
		"rule.saved":                  "Rule saved.",
		"rule.rules":                  "Rules",
		"rule.default_team":           "Default team",
		"rule.auto_reply":             "Auto-reply",
		"rule.send_initial":           "Send the initial message to the contact",
		"rule.initial_message":        "Initial message",
		"rule.filters":                "Filters",
		"rule.filters_hint":           "The first matching filter decides the team; other tickets go to the default team.",
		"rule.filter":                 "Filter",
		"rule.kind":                   "Condition",
		"rule.kind.sender_address":    "Sender address",
		"rule.kind.sender_domain":     "Sender domain",
		"rule.kind.recipient_address": "Recipient address",
		"rule.kind.subject_contains":  "Subject contains",
		"rule.kind.body_contains":     "Body contains",
		"rule.value":                  "Value",
		"rule.team":                   "Team",
		"rule.team_default":           "Default team",
		"rule.assignee":               "Assignee",
		"rule.nobody":                 "Nobody",
		"rule.priority":               "Priority",
		"rule.priority.low":           "Low",
		"rule.priority.normal":        "Normal",
		"rule.priority.high":          "High",
		"rule.priority.urgent":        "Urgent",
		"rule.tags":                   "Tags (comma separated)",
		"rule.add":                    "Add filter",
		"rule.remove":                 "Remove filter",
		"rule.save":                   "Save rule",
	},
}

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
