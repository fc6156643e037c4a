package imapsync

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/providers"
)

// DialFunc opens a TCP connection (net.Dialer.DialContext's shape).
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// dialOptions is what a connection needs beyond the server settings.
type dialOptions struct {
	TLS         *tls.Config // nil: system roots
	Insecure    bool        // allow Encryption "none" (to a loopback host only)
	Dial        DialFunc    // nil: net.Dialer
	DialTimeout time.Duration
	Provider    string
	Handler     *imapclient.UnilateralDataHandler
}

func serverAddr(sc model.ServerConf) string {
	return net.JoinHostPort(sc.Host, strconv.Itoa(sc.Port))
}

func tlsFor(base *tls.Config, host string) *tls.Config {
	var c *tls.Config
	if base != nil {
		c = base.Clone()
	} else {
		c = &tls.Config{}
	}
	if c.ServerName == "" {
		c.ServerName = host
	}
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

// connect dials, negotiates TLS and reads the greeting. Errors are
// *providers.Problem.
// The returned net.Conn is the TCP connection under the client: closing
// it never blocks (imapclient.Client.Close waits for its reader).
func connect(ctx context.Context, sc model.ServerConf, o dialOptions) (*imapclient.Client, net.Conn, error) {
	addr := serverAddr(sc)
	prob := func(err error) error { return providers.NetProblem("imap", addr, o.Provider, err) }
	// A password travels unencrypted only to this machine.
	if err := providers.ValidateServer("imap", sc, o.Insecure && providers.LoopbackHost(sc.Host)); err != nil {
		code := providers.CodeInvalidSettings
		if sc.Encryption == providers.None {
			code = providers.CodeInsecureRefused
		}
		return nil, nil, providers.New(code, "imap", addr, o.Provider, err)
	}
	timeout := o.DialTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dial := o.Dial
	if dial == nil {
		d := net.Dialer{KeepAlive: 30 * time.Second}
		dial = d.DialContext
	}
	raw, err := dial(dctx, "tcp", addr)
	if err != nil {
		return nil, nil, prob(err)
	}
	// Everything up to the greeting must finish within the timeout, and a
	// cancelled ctx must interrupt it.
	_ = raw.SetDeadline(time.Now().Add(timeout))
	stop := context.AfterFunc(dctx, func() { _ = raw.SetDeadline(time.Now()) })
	defer stop()
	opts := &imapclient.Options{UnilateralDataHandler: o.Handler, TLSConfig: tlsFor(o.TLS, sc.Host)}
	var c *imapclient.Client
	switch sc.Encryption {
	case providers.TLS:
		tc := tls.Client(raw, opts.TLSConfig)
		if err := tc.HandshakeContext(dctx); err != nil {
			raw.Close()
			return nil, nil, prob(err)
		}
		c = imapclient.New(tc, opts)
	case providers.StartTLS:
		c, err = imapclient.NewStartTLS(raw, opts)
		if err != nil {
			var ie *imap.Error
			if errors.As(err, &ie) {
				return nil, nil, providers.New(providers.CodeStartTLSMissing, "imap", addr, o.Provider, err)
			}
			return nil, nil, prob(err)
		}
	default: // "none", explicitly allowed above
		c = imapclient.New(raw, opts)
	}
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, nil, prob(err)
	}
	_ = raw.SetDeadline(time.Time{})
	return c, raw, nil
}

// login authenticates; a refusal becomes CodeAuthFailed.
func login(c *imapclient.Client, sc model.ServerConf, password, provider string) error {
	addr := serverAddr(sc)
	if password == "" {
		return providers.New(providers.CodeMissingPassword, "imap", addr, provider, errors.New("no password"))
	}
	if err := c.Login(sc.Username, password).Wait(); err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) {
			return providers.New(providers.CodeAuthFailed, "imap", addr, provider, err)
		}
		return providers.NetProblem("imap", addr, provider, fmt.Errorf("login: %w", err))
	}
	return nil
}

// isAuthProblem reports credential problems (the admin must act).
func isAuthProblem(err error) bool {
	var p *providers.Problem
	return errors.As(err, &p) && (p.Code == providers.CodeAuthFailed || p.Code == providers.CodeMissingPassword ||
		p.Code == providers.CodeInsecureRefused || p.Code == providers.CodeInvalidSettings ||
		p.Code == CodeOAuthReconnect || p.Code == CodeOAuthRefused)
}
