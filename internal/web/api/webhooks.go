package api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
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
	"github.com/atende-helpdesk/atende/internal/secrets"
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
	ChannelID int64     `json:"channel_id,omitempty"`
	Cause     string    `json:"cause,omitempty"`
	Detail    string    `json:"detail,omitempty"`
	// channel.failing: the admin notice written, by message key and
	// parameters (the text is in the UI's catalogs, in each language).
	NoticeID     int64             `json:"notice_id,omitempty"`
	NoticeKey    string            `json:"notice_key,omitempty"`
	NoticeParams map[string]string `json:"notice_params,omitempty"`
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
// completes the job, anything else (5xx, 4xx, a redirect, timeout,
// refused) is retried with exponential backoff until MaxAttempts.
// Redirects are never followed: they would resend the body and its
// signature to a host nobody checked. Logs and job errors name the
// receiver by scheme and host only: a webhook URL often carries a
// credential (user:password@, a token in the path or query).
type WebhookWorker struct {
	Store store.Store
	// Client sends the requests; the server uses netguard's client (no
	// internal addresses). Default: 10 s timeout. Either way redirects
	// are not followed.
	Client *http.Client
	// Box opens the sealed signing secrets (nil: secrets are stored in
	// the clear, as by tests without a key).
	Box         *secrets.Box
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
	if w.Client.CheckRedirect == nil {
		c := *w.Client
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		w.Client = &c
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
	secret, err := OpenWebhookSecret(w.Box, hook)
	if err != nil {
		return fmt.Errorf("%w: signing secret: %v", errGone, err)
	}
	ts := w.Clock.Now().Unix()
	where := WebhookOrigin(hook.URL)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(p.Body))
	if err != nil {
		return fmt.Errorf("%w: bad URL for %s", errGone, where)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Atende-Webhooks/1")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(secret, ts, p.Body))
	req.Header.Set(HeaderEvent, typ.Type)
	req.Header.Set(HeaderDelivery, strconv.FormatInt(jobID, 10))
	resp, err := w.Client.Do(req)
	if err != nil {
		// *url.Error repeats the URL (with its path and query): keep only
		// the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("POST %s: %v", where, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return fmt.Errorf("POST %s: receiver answered %s; webhooks do not follow redirects, use the final URL", where, resp.Status)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("POST %s: receiver answered %s", where, resp.Status)
	}
	return nil
}

// WebhookOrigin is how logs and errors name a webhook receiver: scheme
// and host only, never user info, path or query (they often carry a
// credential).
func WebhookOrigin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(invalid URL)"
	}
	return u.Scheme + "://" + u.Host
}

// sealedPrefix marks a webhook secret sealed by the secrets box; older
// rows hold the secret in the clear ("whsec_...") until SealWebhookSecrets
// runs.
const sealedPrefix = "sealed:v1:"

func webhookAD(companyID int64) []byte {
	return []byte(fmt.Sprintf("atende/webhook/v1\x00%d", companyID))
}

// SealWebhookSecret is the stored form of a webhook's signing secret.
func SealWebhookSecret(box *secrets.Box, companyID int64, secret string) (string, error) {
	if box == nil {
		return secret, nil
	}
	b, err := box.Seal([]byte(secret), webhookAD(companyID))
	if err != nil {
		return "", fmt.Errorf("api: seal webhook secret: %w", err)
	}
	return sealedPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// OpenWebhookSecret is the signing secret of hook (sealed or, for rows
// written before sealing, in the clear).
func OpenWebhookSecret(box *secrets.Box, hook *store.Webhook) (string, error) {
	enc, ok := strings.CutPrefix(hook.Secret, sealedPrefix)
	if !ok {
		return hook.Secret, nil
	}
	if box == nil {
		return "", errors.New("sealed webhook secret but no secret key")
	}
	b, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return "", err
	}
	pt, err := box.Open(b, webhookAD(hook.CompanyID))
	if err != nil {
		return "", err
	}
	return string(pt), nil
}

// SealWebhookSecrets seals the signing secrets still stored in the clear
// (rows from before secrets were sealed); the server runs it at start.
func SealWebhookSecrets(ctx context.Context, st store.Store, box *secrets.Box) (int, error) {
	if box == nil {
		return 0, nil
	}
	cos, err := st.ListCompanies(ctx)
	if err != nil {
		return 0, fmt.Errorf("api: seal webhook secrets: %w", err)
	}
	n := 0
	for _, co := range cos {
		hooks, err := st.ListWebhooks(ctx, co.ID)
		if err != nil {
			return n, fmt.Errorf("api: seal webhook secrets: %w", err)
		}
		for _, h := range hooks {
			if strings.HasPrefix(h.Secret, sealedPrefix) {
				continue
			}
			sealed, err := SealWebhookSecret(box, h.CompanyID, h.Secret)
			if err != nil {
				return n, err
			}
			if err := st.UpdateWebhookSecret(ctx, h.CompanyID, h.ID, sealed); err != nil {
				return n, fmt.Errorf("api: seal webhook secrets: %w", err)
			}
			n++
		}
	}
	return n, nil
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
	hook, secret, err := NewWebhook(r.Context(), d.Store, WebhookPolicy{Box: d.Secrets, Hosts: d.Hosts}, principal(r).CompanyID, in.URL, in.Events)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	v2 := viewWebhook(hook)
	v2.Secret = secret
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

// WebhookPolicy is what creating a webhook checks and seals with.
type WebhookPolicy struct {
	Box   *secrets.Box          // seals the signing secret at rest (nil: clear)
	Hosts directory.HostChecker // refuses internal hosts (nil: no check)
}

// NewWebhook validates a subscription (an absolute http(s) URL to a host
// that is not internal, known event types) and stores it with a fresh
// signing secret, sealed; it returns the stored webhook and the secret
// (shown to the admin once). The REST API and the admin pages both
// create webhooks through it.
func NewWebhook(ctx context.Context, st interface {
	CreateWebhook(context.Context, *store.Webhook) error
}, pol WebhookPolicy, companyID int64, rawURL string, events []string) (*store.Webhook, string, error) {
	rawURL = strings.TrimSpace(rawURL)
	var v directory.ValidationError
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(rawURL) > 2000 {
		v = append(v, directory.FieldError{Field: "url", Message: "must be an absolute http(s) URL"})
	} else if pol.Hosts != nil {
		if err := pol.Hosts.CheckHost(ctx, u.Hostname()); err != nil {
			v = append(v, directory.FieldError{Field: "url", Message: directory.MsgInternalHost})
		}
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
		return nil, "", v
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	secret := "whsec_" + hex.EncodeToString(b[:])
	sealed, err := SealWebhookSecret(pol.Box, companyID, secret)
	if err != nil {
		return nil, "", err
	}
	hook := &store.Webhook{CompanyID: companyID, URL: u.String(), Secret: sealed,
		Events: slices.Compact(slices.Sorted(slices.Values(events))), Enabled: true}
	if err := st.CreateWebhook(ctx, hook); err != nil {
		return nil, "", err
	}
	return hook, secret, nil
}
