package edge

import (
	"mime"
	"net/http"
	"strings"
	"time"
)

// Defaults.
const (
	DefaultMaxBody       = 2 << 20
	ReadHeaderTimeout    = 10 * time.Second
	ReadTimeout          = 60 * time.Second
	UploadReadTimeout    = 10 * time.Minute
	IdleTimeout          = 2 * time.Minute
	hstsValue            = "max-age=31536000"
	statusUnsupportedMed = http.StatusUnsupportedMediaType
)

// Config is what the edge enforces.
type Config struct {
	// MaxBody bounds every request body (DefaultMaxBody when 0).
	MaxBody int64
	// Uploads are the "METHOD /path" patterns (http.ServeMux syntax) that
	// may carry up to UploadMax bytes, with UploadReadTimeout to send them.
	Uploads   []string
	UploadMax int64
	// NoMultipart are the patterns that refuse multipart/form-data.
	NoMultipart []string
	// Secure reports whether a request came over TLS (auth.HTTP.Secure:
	// directly, or X-Forwarded-Proto https from a trusted proxy); HSTS is
	// sent on those. Nil sends HSTS only for r.TLS.
	Secure func(*http.Request) bool
}

// Handler wraps next with the limits and headers of cfg.
func Handler(next http.Handler, cfg Config) http.Handler {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.UploadMax < cfg.MaxBody {
		cfg.UploadMax = cfg.MaxBody
	}
	if cfg.Secure == nil {
		cfg.Secure = func(r *http.Request) bool { return r.TLS != nil }
	}
	uploads := matcher(cfg.Uploads)
	noMultipart := matcher(cfg.NoMultipart)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		if cfg.Secure(r) {
			h.Set("Strict-Transport-Security", hstsValue)
		}
		limit := cfg.MaxBody
		if uploads(r) {
			limit = cfg.UploadMax
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(UploadReadTimeout))
		}
		if r.ContentLength > limit {
			w.Header().Set("Connection", "close")
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if noMultipart(r) {
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); strings.HasPrefix(mt, "multipart/") {
				w.Header().Set("Connection", "close")
				http.Error(w, "multipart bodies are not accepted here", statusUnsupportedMed)
				return
			}
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// matcher reports whether a request matches one of the patterns, by
// routing it through a ServeMux built from them.
func matcher(patterns []string) func(*http.Request) bool {
	if len(patterns) == 0 {
		return func(*http.Request) bool { return false }
	}
	mux := http.NewServeMux()
	for _, p := range patterns {
		mux.Handle(p, http.NotFoundHandler())
	}
	return func(r *http.Request) bool {
		_, pat := mux.Handler(r)
		return pat != ""
	}
}

// Server is the HTTP server for h with the edge's timeouts.
func Server(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: ReadHeaderTimeout, ReadTimeout: ReadTimeout, IdleTimeout: IdleTimeout,
		MaxHeaderBytes: 64 << 10}
}
