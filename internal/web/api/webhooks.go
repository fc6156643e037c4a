package api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// Webhook request headers.
const (
	HeaderSignature = "X-Atende-Signature" // "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body))
	HeaderTimestamp = "X-Atende-Timestamp" // Unix seconds; reject old ones to stop replays
	HeaderEvent     = "X-Atende-Event"
	HeaderDelivery  = "X-Atende-Delivery" // stable across retries of one delivery
)

// webhookBody is what a receiver gets.
type webhookBody struct {
	Type      string    `json:"type"`
	TicketID  int64     `json:"ticket_id"`
	MessageID int64     `json:"message_id,omitempty"`
	At        time.Time `json:"at"`
}

// webhookJob is the payload of a JobKindWebhook job: the body is fixed at
// enqueue time so every retry sends the same bytes.
type webhookJob struct {
	WebhookID int64           `json:"webhook_id"`
	Body      json.RawMessage `json:"body"`
}

// Sign returns the X-Atende-Signature value for body sent at ts.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%d.", ts)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a delivery the way a receiver should: the signature must
// match (constant time) and the timestamp be within tolerance of now.
func Verify(secret, signature, timestamp string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errors.New("webhook: bad timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return errors.New("webhook: timestamp outside tolerance (replay?)")
	}
	if !hmac.Equal([]byte(Sign(secret, ts, body)), []byte(signature)) {
		return errors.New("webhook: signature mismatch")
	}
	return nil
}

// WebhookWorker delivers webhook jobs: POST with signature headers; a 2xx
// completes the job, anything else (5xx, 4xx, timeout, refused) is retried
// with exponential backoff until MaxAttempts.
type WebhookWorker struct {
	Store       store.Store
	Client      *http.Client // default: 10 s timeout
	Log         *slog.Logger
	Clock       clock.Clock                     // the program's one clock; required
	MaxAttempts int                             // default 10
	Backoff     func(attempt int) time.Duration // default 30 s · 2^(n-1), max 6 h
	Poll        time.Duration                   // default 2 s
}

func (w *WebhookWorker) defaults() {
	if w.Client == nil {
		w.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if w.MaxAttempts <= 0 {
		w.MaxAttempts = 10
	}
	if w.Backoff == nil {
		w.Backoff = func(n int) time.Duration { return min(30*time.Second<<min(n-1, 16), 6*time.Hour) }
	}
	if w.Poll <= 0 {
		w.Poll = 2 * time.Second
	}
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
}

// Run delivers until ctx ends.
func (w *WebhookWorker) Run(ctx context.Context) error {
	w.defaults()
	if w.Clock == nil {
		return errors.New("webhooks: the worker has no clock")
	}
	t := time.NewTicker(w.Poll)
	defer t.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.Log.Error("webhooks: run", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// RunOnce delivers the due jobs once and returns how many it attempted.
func (w *WebhookWorker) RunOnce(ctx context.Context) (int, error) {
	w.defaults()
	if w.Clock == nil {
		return 0, errors.New("webhooks: the worker has no clock")
	}
	jobs, err := w.Store.ClaimJobs(ctx, []string{JobKindWebhook}, time.Minute, 16)
	if err != nil {
		return 0, fmt.Errorf("webhooks: claim: %w", err)
	}
	for _, j := range jobs {
		err := w.deliver(ctx, j.CompanyID, j.ID, j.Payload)
		now := w.Clock.Now()
		if err == nil {
			if e := w.Store.CompleteJob(ctx, j.ID); e != nil {
				w.Log.Error("webhooks: complete", "job", j.ID, "err", e)
			}
			continue
		}
		failed := j.Attempts >= w.MaxAttempts || errors.Is(err, errGone)
		next := now.Add(w.Backoff(j.Attempts))
		w.Log.Warn("webhooks: delivery failed", "job", j.ID, "attempt", j.Attempts, "final", failed, "err", err)
		if e := w.Store.RetryJob(ctx, j.ID, err.Error(), next, failed); e != nil {
			w.Log.Error("webhooks: retry", "job", j.ID, "err", e)
		}
	}
	return len(jobs), nil
}

var errGone = errors.New("webhook deleted")

func (w *WebhookWorker) deliver(ctx context.Context, companyID, jobID int64, payload []byte) error {
	var p webhookJob
	if err := json.Unmarshal(payload, &p); err != nil {
		return fmt.Errorf("%w: bad payload: %v", errGone, err)
	}
	hook, err := w.Store.GetWebhook(ctx, companyID, p.WebhookID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !hook.Enabled) {
		return errGone
	}
	if err != nil {
		return err
	}
	var typ struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(p.Body, &typ)
	ts := w.Clock.Now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(p.Body))
	if err != nil {
		return fmt.Errorf("%w: %v", errGone, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Atende-Webhooks/1")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(hook.Secret, ts, p.Body))
	req.Header.Set(HeaderEvent, typ.Type)
	req.Header.Set(HeaderDelivery, strconv.FormatInt(jobID, 10))
	resp, err := w.Client.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", hook.URL, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("POST %s: receiver answered %s", hook.URL, resp.Status)
	}
	return nil
}

// HTTP handlers for webhook endpoints.

func (d Deps) listWebhooks(w http.ResponseWriter, r *http.Request) {
	hs, err := d.Store.ListWebhooks(r.Context(), principal(r).CompanyID)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	out := list[webhookView]{Items: []webhookView{}}
	for i := range hs {
		out.Items = append(out.Items, viewWebhook(&hs[i]))
	}
	reply(w, http.StatusOK, out)
}

func (d Deps) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in struct {
		URL    string   `json:"url"`
		Events []string `json:"events"`
	}
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	hook, err := NewWebhook(r.Context(), d.Store, principal(r).CompanyID, in.URL, in.Events)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	v2 := viewWebhook(hook)
	v2.Secret = hook.Secret
	reply(w, http.StatusCreated, v2)
}

func (d Deps) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = d.Store.DeleteWebhook(r.Context(), principal(r).CompanyID, id)
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// NewWebhook validates a subscription (an absolute http(s) URL, known
// event types) and stores it with a fresh signing secret. The REST API and
// the admin pages both create webhooks through it.
func NewWebhook(ctx context.Context, st interface {
	CreateWebhook(context.Context, *store.Webhook) error
}, companyID int64, rawURL string, events []string) (*store.Webhook, error) {
	rawURL = strings.TrimSpace(rawURL)
	var v directory.ValidationError
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(rawURL) > 2000 {
		v = append(v, directory.FieldError{Field: "url", Message: "must be an absolute http(s) URL"})
	}
	if len(events) == 0 {
		v = append(v, directory.FieldError{Field: "events", Message: "choose at least one of " + strings.Join(ticket.EventTypes, ", ")})
	}
	for i, e := range events {
		if !slices.Contains(ticket.EventTypes, e) {
			v = append(v, directory.FieldError{Field: fmt.Sprintf("events[%d]", i), Message: "must be one of " + strings.Join(ticket.EventTypes, ", ")})
		}
	}
	if len(v) > 0 {
		return nil, v
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	hook := &store.Webhook{CompanyID: companyID, URL: u.String(), Secret: "whsec_" + hex.EncodeToString(b[:]),
		Events: slices.Compact(slices.Sorted(slices.Values(events))), Enabled: true}
	if err := st.CreateWebhook(ctx, hook); err != nil {
		return nil, err
	}
	return hook, nil
}
