// Package api is Atende's HTTP surface: the whole route table in one
// function (Go 1.22 ServeMux method patterns), health and readiness
// probes, and (as features land) the REST API under /api/v1.
package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"
)

// Checker is one readiness check (database reachable, blob dir writable).
type Checker interface {
	Check(ctx context.Context) error
}

// CheckFunc adapts a function to Checker.
type CheckFunc func(ctx context.Context) error

// Check calls f.
func (f CheckFunc) Check(ctx context.Context) error { return f(ctx) }

// Deps is what the handlers need.
type Deps struct {
	Log    *slog.Logger
	Checks map[string]Checker
}

// Handler builds the route table.
func Handler(d Deps) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", d.ready)
	return mux
}

func (d Deps) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	status := http.StatusOK
	out := map[string]string{}
	for name, c := range d.Checks {
		if err := c.Check(ctx); err != nil {
			status = http.StatusServiceUnavailable
			out[name] = err.Error()
			d.Log.Warn("readiness check failed", "check", name, "err", err)
		} else {
			out[name] = "ok"
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"ready": status == http.StatusOK, "checks": out})
}
