package smtpin

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ipLimiter enforces, per client IP, a maximum of concurrent connections
// and a token-bucket rate of new connections.
type ipLimiter struct {
	maxConns int     // <= 0: unlimited
	rate     float64 // new connections per second; <= 0: unlimited
	burst    float64 // bucket size
	now      func() time.Time
	mu       sync.Mutex
	ips      map[string]*ipState
	lastGC   time.Time
}

type ipState struct {
	conns  int
	tokens float64
	last   time.Time
}

func newIPLimiter(maxConns int, perMinute, burst int, now func() time.Time) *ipLimiter {
	l := &ipLimiter{maxConns: maxConns, now: now, ips: map[string]*ipState{}}
	if perMinute > 0 {
		l.rate = float64(perMinute) / 60
		l.burst = float64(max(burst, 1))
	}
	return l
}

// acquire reports whether a new connection from ip may proceed and, if so,
// counts it; the caller must call release exactly once.
func (l *ipLimiter) acquire(ip string) (ok bool, reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.gc(now)
	st := l.ips[ip]
	if st == nil {
		st = &ipState{tokens: l.burst, last: now}
		l.ips[ip] = st
	}
	if l.maxConns > 0 && st.conns >= l.maxConns {
		return false, "too many concurrent connections from your IP address"
	}
	if l.rate > 0 {
		st.tokens = min(l.burst, st.tokens+now.Sub(st.last).Seconds()*l.rate)
		st.last = now
		if st.tokens < 1 {
			return false, "too many connections from your IP address, slow down"
		}
		st.tokens--
	}
	st.conns++
	return true, ""
}

func (l *ipLimiter) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if st := l.ips[ip]; st != nil && st.conns > 0 {
		st.conns--
	}
}

// gc forgets idle IPs whose bucket refilled, at most once a minute, so the
// map does not grow with every address ever seen (no goroutine needed).
func (l *ipLimiter) gc(now time.Time) {
	if now.Sub(l.lastGC) < time.Minute {
		return
	}
	l.lastGC = now
	for ip, st := range l.ips {
		full := l.rate <= 0 || st.tokens+now.Sub(st.last).Seconds()*l.rate >= l.burst
		if st.conns == 0 && full {
			delete(l.ips, ip)
		}
	}
}

// limitListener applies an ipLimiter in Accept. Refused connections get
// "421 4.7.0" from a goroutine owned by the server's WaitGroup, so a slow
// client never blocks the accept loop.
type limitListener struct {
	net.Listener
	lim      *ipLimiter
	hostname string
	wg       *sync.WaitGroup
	onReject func(ip, reason string)

	mu    sync.Mutex
	conns map[*limitedConn]struct{} // open accepted connections

	draining atomic.Bool // shutdown began: idle sessions get 421 (drain.go)
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c.RemoteAddr())
		if l.draining.Load() {
			// Shutting down: a new session gets 421 at once (drain.go).
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
				_, _ = c.Write([]byte(byeLine(l.hostname)))
				_ = c.Close()
			}()
			continue
		}
		ok, reason := l.lim.acquire(ip)
		if ok {
			lc := &limitedConn{Conn: c, l: l}
			lc.release = func() {
				l.lim.release(ip)
				l.mu.Lock()
				delete(l.conns, lc)
				l.mu.Unlock()
			}
			l.mu.Lock()
			if l.conns == nil {
				l.conns = map[*limitedConn]struct{}{}
			}
			l.conns[lc] = struct{}{}
			l.mu.Unlock()
			return lc, nil
		}
		if l.onReject != nil {
			l.onReject(ip, reason)
		}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			_, _ = c.Write([]byte("421 4.7.0 " + l.hostname + " " + reason + "; try again later\r\n"))
			_ = c.Close()
		}()
	}
}

// closeAll closes every accepted connection still open (the hard end of a
// shutdown: go-smtp's Close does nothing after its Shutdown).
func (l *limitListener) closeAll() {
	l.mu.Lock()
	conns := make([]*limitedConn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()

	l       *limitListener
	busy    atomic.Bool // inside DATA: a shutdown lets it finish
	sawTLS  atomic.Bool // STARTTLS happened: go-smtp writes the 421 itself
	byeOnce sync.Once
}

func (c *limitedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

func remoteIP(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
