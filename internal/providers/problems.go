package providers

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
)

// Code is a problem's machine-readable code (stable: the API and the UI
// key on it).
type Code string

// Problem codes.
const (
	CodeHostNotFound       Code = "host_not_found"
	CodeConnectionRefused  Code = "connection_refused"
	CodeTimeout            Code = "timeout"
	CodeCertificateInvalid Code = "certificate_invalid"
	CodeTLSMismatch        Code = "tls_mismatch" // port/encryption do not match (TLS on a plain port or vice versa)
	CodeStartTLSMissing    Code = "starttls_unsupported"
	CodeInsecureRefused    Code = "insecure_refused" // "none" without the explicit insecure option
	CodeAuthFailed         Code = "auth_failed"      // IMAP login refused
	CodeSMTPAuthFailed     Code = "smtp_auth_failed"
	CodeSMTPAuthMissing    Code = "smtp_auth_unsupported" // server offers no usable AUTH mechanism
	CodeFolderNotFound     Code = "folder_not_found"
	CodeIdleMissing        Code = "idle_unsupported" // warning: polling instead of push
	CodeMissingPassword    Code = "missing_password"
	CodeConnectionLost     Code = "connection_lost"
	CodeProtocol           Code = "protocol_error"
	CodeInvalidSettings    Code = "invalid_settings"
	// CodeHostNotAllowed: the host is, or resolves to, an internal address
	// (loopback, private network, link-local...) that the server does not
	// connect to for a company (package netguard). Same answer for every
	// port, so the test cannot map the internal network.
	CodeHostNotAllowed Code = "host_not_allowed"
	// OAuth logins (Gmail, Office 365).
	CodeOAuthReconnect   Code = "oauth_reconnect_needed"  // grant revoked/expired: an admin must connect again
	CodeOAuthRefused     Code = "oauth_auth_failed"       // server refused a freshly refreshed token
	CodeOAuthUnavailable Code = "oauth_token_unavailable" // passing failure getting a token: retried
	// CodeServerUnreachable: a server that worked before does not answer
	// now (refused, timed out, cut): not a set-up mistake; retried soon.
	CodeServerUnreachable Code = "server_unreachable"
)

// Severity of a problem.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning" // works, but worse (e.g. no IDLE)
)

// Problem is something a connection ran into, ready to show to an admin.
// It is an error; Err is the underlying Go error (for logs, Unwrap).
type Problem struct {
	Code     Code
	Severity Severity
	Server   string // "imap" or "smtp"
	Host     string // host:port, when known
	Folder   string // for CodeFolderNotFound
	Provider string // preset ID, for provider-specific hints
	Err      error
}

func (p *Problem) Error() string {
	msg := p.Message("en")
	if p.Err != nil {
		return msg + " (" + p.Err.Error() + ")"
	}
	return msg
}

func (p *Problem) Unwrap() error { return p.Err }

// Is makes errors.Is(err, &Problem{Code: c}) match by code.
func (p *Problem) Is(target error) bool {
	t, ok := target.(*Problem)
	return ok && t.Code == p.Code && (t.Server == "" || t.Server == p.Server)
}

var messages = map[Code]Text{
	CodeHostNotFound: {
		PT: "Servidor %[1]s %[2]s não encontrado. Confira o endereço do servidor.",
		EN: "%[1]s server %[2]s not found. Check the server address."},
	CodeConnectionRefused: {
		PT: "O servidor %[1]s %[2]s recusou a conexão. Confira a porta e se o acesso %[1]s está liberado.",
		EN: "The %[1]s server %[2]s refused the connection. Check the port and that %[1]s access is allowed."},
	CodeTimeout: {
		PT: "Tempo esgotado ao conectar ao servidor %[1]s %[2]s. Confira endereço e porta, ou se um firewall bloqueia a conexão.",
		EN: "Timed out connecting to the %[1]s server %[2]s. Check address and port, or whether a firewall blocks the connection."},
	CodeCertificateInvalid: {
		PT: "O certificado TLS do servidor %[1]s %[2]s não é válido (vencido, autoassinado ou de outro nome). Use o nome de servidor que consta no certificado.",
		EN: "The TLS certificate of the %[1]s server %[2]s is not valid (expired, self-signed or for another name). Use the server name the certificate is issued for."},
	CodeTLSMismatch: {
		PT: "A criptografia não combina com a porta do servidor %[1]s %[2]s. Use SSL/TLS na porta 993 (IMAP) ou 465 (SMTP), e STARTTLS na 143 ou 587.",
		EN: "The encryption does not match the port of the %[1]s server %[2]s. Use SSL/TLS on port 993 (IMAP) or 465 (SMTP), and STARTTLS on 143 or 587."},
	CodeStartTLSMissing: {
		PT: "O servidor %[1]s %[2]s não oferece STARTTLS. Tente SSL/TLS (porta 993 ou 465).",
		EN: "The %[1]s server %[2]s does not offer STARTTLS. Try SSL/TLS (port 993 or 465)."},
	CodeInsecureRefused: {
		PT: "Conexão %[1]s sem criptografia recusada. Use SSL/TLS ou STARTTLS.",
		EN: "Unencrypted %[1]s connection refused. Use SSL/TLS or STARTTLS."},
	CodeAuthFailed: {
		PT: "Falha na autenticação IMAP em %[2]s: usuário ou senha incorretos.",
		EN: "IMAP authentication failed on %[2]s: wrong user name or password."},
	CodeSMTPAuthFailed: {
		PT: "Falha na autenticação SMTP em %[2]s: usuário ou senha de envio incorretos.",
		EN: "SMTP authentication failed on %[2]s: wrong sending user name or password."},
	CodeSMTPAuthMissing: {
		PT: "O servidor SMTP %[2]s não oferece um método de autenticação compatível (PLAIN ou LOGIN).",
		EN: "The SMTP server %[2]s offers no compatible authentication method (PLAIN or LOGIN)."},
	CodeFolderNotFound: {
		PT: "A pasta %[3]q não existe na caixa de email. Confira o nome da pasta.",
		EN: "Folder %[3]q does not exist in the mailbox. Check the folder name."},
	CodeIdleMissing: {
		PT: "O servidor IMAP %[2]s não suporta IDLE (push): novos emails serão verificados a cada minuto.",
		EN: "The IMAP server %[2]s does not support IDLE (push): new mail will be checked every minute."},
	CodeMissingPassword: {
		PT: "Nenhuma senha %[1]s salva para este canal. Informe a senha novamente.",
		EN: "No %[1]s password is saved for this channel. Enter the password again."},
	CodeConnectionLost: {
		PT: "A conexão com o servidor %[1]s %[2]s caiu. Tentaremos reconectar automaticamente.",
		EN: "The connection to the %[1]s server %[2]s was lost. We will reconnect automatically."},
	CodeProtocol: {
		PT: "O servidor %[1]s %[2]s respondeu de forma inesperada.",
		EN: "The %[1]s server %[2]s sent an unexpected response."},
	CodeInvalidSettings: {
		PT: "Configuração %[1]s inválida.",
		EN: "Invalid %[1]s settings."},
	CodeHostNotAllowed: {
		PT: "O servidor %[1]s %[2]s fica numa rede interna, e o Atende não se conecta a redes internas em nome de uma empresa. Use o endereço público do servidor; se ele é mesmo da rede onde o Atende roda, o administrador do Atende pode liberá-lo com --allow-private-hosts.",
		EN: "The %[1]s server %[2]s is on an internal network, and Atende does not connect to internal networks on a company's behalf. Use the server's public address; if it really is on the network Atende runs in, the Atende operator can allow it with --allow-private-hosts."},
	CodeOAuthReconnect: {
		PT: "A autorização de acesso à caixa de email foi revogada ou expirou no provedor. Um administrador precisa reconectar o canal (Conectar com Google / Microsoft).",
		EN: "The mailbox authorization was revoked or expired at the provider. An administrator must reconnect the channel (Connect with Google / Microsoft)."},
	CodeOAuthRefused: {
		PT: "O servidor %[1]s %[2]s recusou o acesso OAuth mesmo após renovar o token. Confira se o acesso IMAP/SMTP está ativado na conta e reconecte o canal.",
		EN: "The %[1]s server %[2]s refused OAuth access even after renewing the token. Check that IMAP/SMTP access is enabled for the account and reconnect the channel."},
	CodeServerUnreachable: {
		PT: "O servidor %[1]s %[2]s não está respondendo agora (a conexão funcionava antes). O Atende tenta de novo sozinho a cada poucos segundos; nenhum email se perde.",
		EN: "The %[1]s server %[2]s is not answering right now (the connection worked before). Atende retries on its own every few seconds; no mail is lost."},
	CodeOAuthUnavailable: {
		PT: "Não foi possível obter um token de acesso OAuth do provedor agora. Tentaremos novamente automaticamente.",
		EN: "Could not get an OAuth access token from the provider right now. We will retry automatically."},
}

// Message is the problem in lang ("pt-BR" default, "en"), with the
// provider's hints for authentication problems.
func (p *Problem) Message(lang string) string {
	t, ok := messages[p.Code]
	if !ok {
		t = messages[CodeProtocol]
	}
	msg := t.In(lang)
	if strings.Contains(msg, "%[") { // some texts name no server, host or folder
		msg = fmt.Sprintf(msg, strings.ToUpper(p.Server), p.Host, p.Folder)
	}
	if p.Code == CodeAuthFailed || p.Code == CodeSMTPAuthFailed {
		if pr, ok := Get(p.Provider); ok {
			for _, hint := range []Text{pr.AppPasswordHint, pr.EnableIMAPHint} {
				if h := hint.In(lang); h != "" && (p.Code == CodeAuthFailed || hint != pr.EnableIMAPHint) {
					msg += " " + h
				}
			}
		} else {
			msg += " " + Text{
				PT: "Se a conta usa verificação em duas etapas, gere uma senha de app no provedor; confira também se o acesso IMAP está ativado.",
				EN: "If the account uses two-step verification, create an app password at the provider; also check that IMAP access is enabled.",
			}.In(lang)
		}
	}
	return msg
}

// NetProblem classifies a dial/TLS/transport error for server ("imap" or
// "smtp") at host. It returns nil when err is nil; errors it cannot place
// become CodeConnectionLost (network) or CodeProtocol.
func NetProblem(server, host, provider string, err error) *Problem {
	if err == nil {
		return nil
	}
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	mk := func(c Code) *Problem {
		return &Problem{Code: c, Severity: SeverityError, Server: server, Host: host, Provider: provider, Err: err}
	}
	var blocked interface{ HostNotAllowed() bool }
	if errors.As(err, &blocked) && blocked.HostNotAllowed() {
		return mk(CodeHostNotAllowed)
	}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recHdr tls.RecordHeaderError
	var alert tls.AlertError
	switch {
	case errors.As(err, &dnsErr) && (dnsErr.IsNotFound || !dnsErr.IsTimeout):
		return mk(CodeHostNotFound)
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &invalid):
		return mk(CodeCertificateInvalid)
	case errors.As(err, &recHdr):
		return mk(CodeTLSMismatch)
	case errors.Is(err, syscall.ECONNREFUSED):
		return mk(CodeConnectionRefused)
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return mk(CodeTimeout)
	case errors.As(err, &alert):
		return mk(CodeTLSMismatch)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, net.ErrClosed), errors.Is(err, syscall.EPIPE):
		return mk(CodeConnectionLost)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return mk(CodeConnectionLost)
	}
	return mk(CodeProtocol)
}

// Unreachable says that a problem is the server not answering (refused,
// timed out, connection cut, name lookup timed out), as opposed to a
// setting or a credential that is wrong.
func Unreachable(p *Problem) bool {
	if p == nil {
		return false
	}
	switch p.Code {
	case CodeConnectionRefused, CodeTimeout, CodeConnectionLost, CodeServerUnreachable:
		return true
	}
	var dnsErr *net.DNSError
	return p.Code == CodeHostNotFound && errors.As(p.Err, &dnsErr) && dnsErr.IsTimeout
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// New makes a problem with a code.
func New(code Code, server, host, provider string, err error) *Problem {
	sev := SeverityError
	if code == CodeIdleMissing {
		sev = SeverityWarning
	}
	return &Problem{Code: code, Severity: sev, Server: server, Host: host, Provider: provider, Err: err}
}
