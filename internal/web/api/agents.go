package api

import (
	"net/http"

	"github.com/atende-helpdesk/atende/internal/directory"
)

func (d Deps) listAgents(w http.ResponseWriter, r *http.Request) {
	as, err := d.Directory.ListAgents(r.Context(), principal(r).CompanyID)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	out := list[agentView]{Items: []agentView{}}
	for i := range as {
		out.Items = append(out.Items, viewAgent(&as[i]))
	}
	reply(w, http.StatusOK, out)
}

func (d Deps) createAgent(w http.ResponseWriter, r *http.Request) {
	var in directory.AgentInput
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	a, err := d.Directory.CreateAgent(r.Context(), principal(r).CompanyID, in)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusCreated, viewAgent(a))
}

func (d Deps) getAgent(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	a, err := d.Directory.GetAgent(r.Context(), principal(r).CompanyID, id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, viewAgent(a))
}

func (d Deps) updateAgent(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var in directory.AgentPatch
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	a, err := d.Directory.UpdateAgent(r.Context(), principal(r).CompanyID, id, in)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, viewAgent(a))
}
