// Package metrics exposes Atende's Prometheus metrics at /metrics
// (prometheus/client_golang). It instruments at the edges: wrappers
// around the interfaces the composition root already hands to the
// services (ingest's Acceptor, outbox's Sender, the SMTP listener, the
// HTTP handler), small hooks (ingest's failure callback, the cluster
// coordinator's lease callback) and collectors that read state when
// Prometheus scrapes (queue depths from the store, IMAP folder states
// from the sync manager). No domain package imports prometheus.
//
// Metric families (all prefixed atende_):
//
//	messages_accepted_total{source,channel}    raw messages durably accepted (smtp, imap, import)
//	messages_duplicate_total{source,channel}   re-deliveries recognised by their source key
//	messages_processed_total{channel}          turned into ticket messages
//	messages_failed_total{channel,permanent}   processing errors (retried unless permanent)
//	queue_depth{queue,state}                   inbound rows and jobs not done
//	queue_running{queue}                       of those, claimed by a worker now
//	queue_oldest_age_seconds{queue,state}      age of the oldest (by the program's clock)
//	imap_folders{state}                        folder loops by state (connected, syncing, idle, error, ...)
//	imap_connections                           IMAP connections open now
//	mailbox_leases_held                        mailbox leases this node holds
//	mailbox_lease_changes_total{kind}          acquired, released, lost, expired
//	cluster_nodes_live                         live nodes seen at the last balance
//	events_bus_notifications_total{dir}        LISTEN/NOTIFY traffic (sent, received), dropped
//	smtp_sessions_total, smtp_sessions_active  inbound SMTP connections
//	smtp_replies_total{code}                   final reply codes sent by the inbound SMTP server
//	outbox_deliveries_total{result}            sent, failed (each attempt)
//	http_request_duration_seconds{method,route,code}  HTTP latency histogram
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/atende-helpdesk/atende/internal/store"
)

// Metrics is one process's registry and instruments.
type Metrics struct {
	reg *prometheus.Registry

	accepted, duplicate *prometheus.CounterVec
	processed           *prometheus.CounterVec
	failed              *prometheus.CounterVec
	leaseChanges        *prometheus.CounterVec
	smtpSessions        prometheus.Counter
	smtpActive          prometheus.Gauge
	smtpReplies         *prometheus.CounterVec
	deliveries          *prometheus.CounterVec
	httpLatency         *prometheus.HistogramVec
}

// New makes the registry with the Go and process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	c := func(name, help string, labels ...string) *prometheus.CounterVec {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "atende", Name: name, Help: help}, labels)
		m.reg.MustRegister(v)
		return v
	}
	m.accepted = c("messages_accepted_total", "Raw messages durably accepted, by source and channel.", "source", "channel")
	m.duplicate = c("messages_duplicate_total", "Messages delivered again and recognised by their source key.", "source", "channel")
	m.processed = c("messages_processed_total", "Inbound messages stored on a ticket.", "channel")
	m.failed = c("messages_failed_total", "Inbound processing errors (permanent=true: given up).", "channel", "permanent")
	m.leaseChanges = c("mailbox_lease_changes_total", "Mailbox lease changes on this node.", "kind")
	m.smtpReplies = c("smtp_replies_total", "Final SMTP reply codes sent by the inbound server.", "code")
	m.deliveries = c("outbox_deliveries_total", "Outbound delivery attempts by result.", "result")
	m.smtpSessions = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "atende", Name: "smtp_sessions_total", Help: "Inbound SMTP connections accepted."})
	m.smtpActive = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "atende", Name: "smtp_sessions_active", Help: "Inbound SMTP connections open now."})
	m.httpLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "atende", Name: "http_request_duration_seconds",
		Help: "HTTP request latency.", Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"method", "route", "code"})
	m.reg.MustRegister(m.smtpSessions, m.smtpActive, m.httpLatency)
	return m
}

// Handler serves the registry (the /metrics endpoint).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

func id(n int64) string { return strconv.FormatInt(n, 10) }

// Accepted counts a message accepted (or recognised as a duplicate).
func (m *Metrics) Accepted(source string, channelID int64, duplicate bool) {
	if duplicate {
		m.duplicate.WithLabelValues(source, id(channelID)).Inc()
		return
	}
	m.accepted.WithLabelValues(source, id(channelID)).Inc()
}

// Processed counts an inbound message stored on a ticket.
func (m *Metrics) Processed(channelID int64) { m.processed.WithLabelValues(id(channelID)).Inc() }

// Failed counts an inbound processing error.
func (m *Metrics) Failed(channelID int64, permanent bool) {
	m.failed.WithLabelValues(id(channelID), strconv.FormatBool(permanent)).Inc()
}

// Lease counts a mailbox lease change (cluster.Config.OnLease).
func (m *Metrics) Lease(kind string, _ int64) { m.leaseChanges.WithLabelValues(kind).Inc() }

// Delivery counts an outbound delivery attempt.
func (m *Metrics) Delivery(err error) {
	if err != nil {
		m.deliveries.WithLabelValues("failed").Inc()
		return
	}
	m.deliveries.WithLabelValues("sent").Inc()
}

// QueueSource reads queue depths when scraped.
type QueueSource interface {
	QueueStats(ctx context.Context) ([]store.QueueStats, error)
}

// WatchQueues adds queue depth gauges read from src at every scrape; now
// is the program's clock (ages are measured on it, like the queue times).
func (m *Metrics) WatchQueues(src QueueSource, now func() time.Time) {
	m.reg.MustRegister(&queueCollector{src: src, now: now})
}

var (
	queueDepth   = prometheus.NewDesc("atende_queue_depth", "Inbound rows and jobs not done, by queue and state.", []string{"queue", "state"}, nil)
	queueRunning = prometheus.NewDesc("atende_queue_running", "Pending items claimed by a worker right now.", []string{"queue"}, nil)
	queueAge     = prometheus.NewDesc("atende_queue_oldest_age_seconds", "Age of the oldest item not done (pending: how late it is).", []string{"queue", "state"}, nil)
)

type queueCollector struct {
	src QueueSource
	now func() time.Time
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDepth
	ch <- queueRunning
	ch <- queueAge
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	stats, err := c.src.QueueStats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queueDepth, err)
		return
	}
	now := c.now()
	running := map[string]int{}
	for _, s := range stats {
		ch <- prometheus.MustNewConstMetric(queueDepth, prometheus.GaugeValue, float64(s.Count), s.Queue, s.State)
		if !s.Oldest.IsZero() {
			ch <- prometheus.MustNewConstMetric(queueAge, prometheus.GaugeValue, max(0, now.Sub(s.Oldest).Seconds()), s.Queue, s.State)
		}
		running[s.Queue] += s.Running
	}
	for q, n := range running {
		ch <- prometheus.MustNewConstMetric(queueRunning, prometheus.GaugeValue, float64(n), q)
	}
}

// GaugeFunc registers a gauge read at scrape time.
func (m *Metrics) GaugeFunc(name, help string, fn func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "atende", Name: name, Help: help}, fn))
}

// CounterFunc registers a counter read at scrape time.
func (m *Metrics) CounterFunc(name, help string, labels prometheus.Labels, fn func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "atende", Name: name, Help: help, ConstLabels: labels}, fn))
}

// LabeledGauges registers a gauge family whose values fn returns at
// scrape time (label value → value).
func (m *Metrics) LabeledGauges(name, help, label string, fn func() map[string]float64) {
	m.reg.MustRegister(&mapCollector{desc: prometheus.NewDesc("atende_"+name, help, []string{label}, nil), fn: fn})
}

type mapCollector struct {
	desc *prometheus.Desc
	fn   func() map[string]float64
}

func (c *mapCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }
func (c *mapCollector) Collect(ch chan<- prometheus.Metric) {
	for k, v := range c.fn() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v, k)
	}
}
