package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
)

// The rule editor of a channel (Conecta seed: Canais → Ações → Regra):
// default team, initial message (auto-reply) and the "+" filters.

// filterKinds are the conditions a filter row can test.
var filterKinds = []string{"sender_address", "sender_domain", "recipient_address", "subject_contains", "body_contains"}

// filterRow is one "+" row as the form shows it.
type filterRow struct {
	Index                                       int
	Kind, Value, Team, Assignee, Priority, Tags string
}

type rulePage struct {
	Ch      *model.Channel
	Teams   []model.Team
	Agents  []model.Agent
	Kinds   []string
	Filters []filterRow
	Default string
	Send    bool
	Message string
}

func (h *handler) ruleLoad(w http.ResponseWriter, r *http.Request, s *session) (*view, *rulePage, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.errorPage(w, r, s.L, http.StatusNotFound, "err.not_found")
		return nil, nil, false
	}
	ch, err := h.Directory.GetChannel(r.Context(), s.P.CompanyID, id)
	if err != nil {
		h.channelFail(w, r, s, err)
		return nil, nil, false
	}
	teams, err := h.Directory.ListTeams(r.Context(), s.P.CompanyID)
	if err != nil {
		h.channelFail(w, r, s, err)
		return nil, nil, false
	}
	agents, err := h.Directory.ListAgents(r.Context(), s.P.CompanyID)
	if err != nil {
		h.channelFail(w, r, s, err)
		return nil, nil, false
	}
	v := s.view(s.L.T("rule.title", ch.Name))
	pg := &rulePage{Ch: ch, Teams: teams, Agents: agents, Kinds: filterKinds}
	v.Page = pg
	return v, pg, true
}

func ruleID(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

func (h *handler) rulePage(w http.ResponseWriter, r *http.Request, s *session) {
	v, pg, ok := h.ruleLoad(w, r, s)
	if !ok {
		return
	}
	rule := pg.Ch.Settings.Rule
	pg.Default, pg.Send, pg.Message = ruleID(rule.DefaultTeamID), rule.SendInitialMessage, rule.InitialMessage
	for i, f := range rule.Filters {
		pg.Filters = append(pg.Filters, filterRow{i, f.Kind, f.Value, ruleID(f.TeamID), ruleID(f.AssigneeID), f.Priority, strings.Join(f.Tags, ", ")})
	}
	if r.URL.Query().Get("new") != "" {
		v.Flash = s.L.T("channel.saved_set_rule")
	}
	if r.URL.Query().Get("saved") != "" {
		v.Flash = s.L.T("rule.saved")
	}
	h.render(w, r, http.StatusOK, "rule", "layout", v)
}

func (h *handler) ruleSubmit(w http.ResponseWriter, r *http.Request, s *session) {
	v, pg, ok := h.ruleLoad(w, r, s)
	if !ok {
		return
	}
	var ve directory.ValidationError
	num := func(field, val string) int64 {
		if val = strings.TrimSpace(val); val == "" {
			return 0
		}
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil || n <= 0 {
			ve = append(ve, directory.FieldError{Field: field, Message: "no such team"})
		}
		return n
	}
	pg.Default = r.PostFormValue("default_team_id")
	pg.Send = r.PostFormValue("send_initial_message") != ""
	pg.Message = r.PostFormValue("initial_message")
	rule := model.ChannelRule{DefaultTeamID: num("default_team_id", pg.Default), SendInitialMessage: pg.Send, InitialMessage: pg.Message}
	if rule.DefaultTeamID == 0 {
		ve = append(ve, directory.FieldError{Field: "default_team_id", Message: "required"})
	}
	r.ParseForm()
	kinds := r.PostForm["filter_kind"]
	get := func(k string, i int) string {
		if l := r.PostForm[k]; i < len(l) {
			return strings.TrimSpace(l[i])
		}
		return ""
	}
	for i := range kinds {
		row := filterRow{i, get("filter_kind", i), get("filter_value", i), get("filter_team", i), get("filter_assignee", i),
			get("filter_priority", i), get("filter_tags", i)}
		pg.Filters = append(pg.Filters, row)
		f := model.RuleFilter{Kind: row.Kind, Value: row.Value, Priority: row.Priority,
			TeamID: num(fmt.Sprintf("filters[%d].team_id", i), row.Team), AssigneeID: num(fmt.Sprintf("filters[%d].assignee_id", i), row.Assignee)}
		for _, t := range strings.Split(row.Tags, ",") {
			if t = strings.TrimSpace(t); t != "" {
				f.Tags = append(f.Tags, t)
			}
		}
		rule.Filters = append(rule.Filters, f)
	}
	if len(ve) == 0 {
		_, err := h.Directory.SetRule(r.Context(), s.P.CompanyID, pg.Ch.ID, rule)
		if err == nil {
			if h.ChannelChanged != nil {
				h.ChannelChanged(r.Context())
			}
			http.Redirect(w, r, fmt.Sprintf("/channels/%d/rule?saved=1", pg.Ch.ID), http.StatusSeeOther)
			return
		}
		if !errors.As(err, &ve) {
			h.channelFail(w, r, s, err)
			return
		}
	}
	v.Errors = s.L.channelErrors(ve)
	v.Error = s.L.T("ch.fix_errors")
	h.render(w, r, http.StatusUnprocessableEntity, "rule", "layout", v)
}
