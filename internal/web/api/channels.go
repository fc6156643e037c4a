package api

import (
	"net/http"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
)

func (d Deps) listChannels(w http.ResponseWriter, r *http.Request) {
	cs, err := d.Directory.ListChannels(r.Context(), principal(r).CompanyID)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if !principal(r).IsAdmin() {
		out := list[channelSummary]{Items: []channelSummary{}}
		for i := range cs {
			out.Items = append(out.Items, summarize(&cs[i]))
		}
		reply(w, http.StatusOK, out)
		return
	}
	ptrs := make([]*model.Channel, len(cs))
	for i := range cs {
		ptrs[i] = &cs[i]
	}
	views, err := d.channelViews(r.Context(), principal(r).CompanyID, ptrs...)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, list[channelView]{Items: views})
}

func (d Deps) createChannel(w http.ResponseWriter, r *http.Request) {
	var in directory.ChannelInput
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	c, err := d.Directory.CreateChannel(r.Context(), principal(r).CompanyID, in)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.channelChanged(r.Context())
	d.replyChannel(w, r, http.StatusCreated, c)
}

func (d Deps) getChannel(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	c, err := d.Directory.GetChannel(r.Context(), principal(r).CompanyID, id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.replyChannel(w, r, http.StatusOK, c)
}

func (d Deps) updateChannel(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var in directory.ChannelPatch
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	c, err := d.Directory.UpdateChannel(r.Context(), principal(r).CompanyID, id, in)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.channelChanged(r.Context())
	d.replyChannel(w, r, http.StatusOK, c)
}

// ruleView is the stored rule, with filters always a list.
func ruleView(r model.ChannelRule) model.ChannelRule {
	if r.Filters == nil {
		r.Filters = []model.RuleFilter{}
	}
	return r
}

func (d Deps) getRule(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	c, err := d.Directory.GetChannel(r.Context(), principal(r).CompanyID, id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, ruleView(c.Settings.Rule))
}

func (d Deps) putRule(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var in model.ChannelRule
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	c, err := d.Directory.SetRule(r.Context(), principal(r).CompanyID, id, in)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, ruleView(c.Settings.Rule))
}
