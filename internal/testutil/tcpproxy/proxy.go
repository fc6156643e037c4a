// Package tcpproxy is a loopback TCP proxy that tests switch off and on to
// simulate a server going away (connections refused and cut) and coming
// back on the same address, without touching the real server.
package tcpproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Proxy forwards 127.0.0.1:port to Target while up.
type Proxy struct {
	Target string

	mu    sync.Mutex
	addr  string
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// Start listens on a free loopback port and forwards to target.
func Start(target string) (*Proxy, error) {
	p := &Proxy{Target: target, conns: map[net.Conn]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	return p, nil
}

// Addr is the proxy's address (stable across Down/Up).
func (p *Proxy) Addr() string { return p.addr }

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.pipe(c)
			}()
		}
	}()
}

func (p *Proxy) track(c net.Conn, on bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on {
		if p.ln == nil {
			return false
		}
		p.conns[c] = struct{}{}
	} else {
		delete(p.conns, c)
	}
	return true
}

func (p *Proxy) pipe(c net.Conn) {
	defer c.Close()
	if !p.track(c, true) {
		return
	}
	defer p.track(c, false)
	s, err := net.DialTimeout("tcp", p.Target, 5*time.Second)
	if err != nil {
		return
	}
	defer s.Close()
	if !p.track(s, true) {
		return
	}
	defer p.track(s, false)
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(s, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, s); done <- struct{}{} }()
	<-done
}

// Down stops listening (new connections are refused) and cuts every open
// connection.
func (p *Proxy) Down() {
	p.mu.Lock()
	ln := p.ln
	p.ln = nil
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
}

// Up listens again on the same address.
func (p *Proxy) Up() error {
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port may linger a moment
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			p.serve(ln)
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.Join(errors.New("tcpproxy: listen again on "+p.addr), err)
}

// Close stops the proxy for good and waits for its goroutines.
func (p *Proxy) Close() {
	p.Down()
	p.wg.Wait()
}
