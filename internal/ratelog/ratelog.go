// Package ratelog keeps a failing cause from flooding the log: a
// slog.Handler wrapper that lets through, per cause (level and message;
// messages are constant by convention), one warning or error per window
// and counts the rest; the next line of that cause after the window says
// how many were left out ("suppressed"). Info and debug lines pass as they
// are: they record single events (a mail accepted), not repeated failures.
package ratelog

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// DefaultWindow is how long a cause stays quiet after a line.
const DefaultWindow = 10 * time.Second

type state struct {
	window time.Duration
	now    func() time.Time
	mu     sync.Mutex
	causes map[cause]*count
}

type cause struct {
	level slog.Level
	msg   string
	who   string // the values of the identifying attributes (keyAttrs)
}

// keyAttrs name what a line is about: the same message for two channels
// is two causes.
var keyAttrs = map[string]bool{"company": true, "channel": true, "channel_id": true, "folder": true, "check": true, "cause": true, "component": true}

func who(prefix string, r slog.Record) string {
	s := prefix
	r.Attrs(func(a slog.Attr) bool {
		if keyAttrs[a.Key] {
			s += a.Key + "=" + a.Value.String() + " "
		}
		return true
	})
	return s
}

type count struct {
	last       time.Time
	suppressed int
}

// Handler wraps another handler.
type Handler struct {
	next   slog.Handler
	st     *state
	prefix string // identifying attributes added with WithAttrs
}

// New wraps next with a window (0: DefaultWindow); now is the wall clock
// in production (log pacing decides nothing stored).
func New(next slog.Handler, window time.Duration, now func() time.Time) *Handler {
	if window <= 0 {
		window = DefaultWindow
	}
	if now == nil {
		now = time.Now
	}
	return &Handler{next: next, st: &state{window: window, now: now, causes: map[cause]*count{}}}
}

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return h.next.Handle(ctx, r)
	}
	k := cause{r.Level, r.Message, who(h.prefix, r)}
	now := h.st.now()
	h.st.mu.Lock()
	c := h.st.causes[k]
	if c == nil {
		if len(h.st.causes) > 10000 { // bounded: forget old causes
			for kk, cc := range h.st.causes {
				if now.Sub(cc.last) > h.st.window {
					delete(h.st.causes, kk)
				}
			}
		}
		c = &count{}
		h.st.causes[k] = c
	} else if now.Sub(c.last) < h.st.window {
		c.suppressed++
		h.st.mu.Unlock()
		return nil
	}
	n := c.suppressed
	c.last, c.suppressed = now, 0
	h.st.mu.Unlock()
	if n > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("suppressed", n))
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs implements slog.Handler (the counts are shared).
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	p := h.prefix
	for _, a := range as {
		if keyAttrs[a.Key] {
			p += a.Key + "=" + a.Value.String() + " "
		}
	}
	return &Handler{next: h.next.WithAttrs(as), st: h.st, prefix: p}
}

// WithGroup implements slog.Handler (the counts are shared).
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name), st: h.st, prefix: h.prefix}
}
