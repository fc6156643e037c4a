package api

import (
	"net/http"

	"github.com/atende-helpdesk/atende/internal/directory"
)

func (d Deps) listTeams(w http.ResponseWriter, r *http.Request) {
	ts, err := d.Directory.ListTeams(r.Context(), principal(r).CompanyID)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	out := list[teamView]{Items: []teamView{}}
	for _, t := range ts {
		out.Items = append(out.Items, teamView{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt})
	}
	reply(w, http.StatusOK, out)
}

func (d Deps) createTeam(w http.ResponseWriter, r *http.Request) {
	var in directory.TeamInput
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	t, err := d.Directory.CreateTeam(r.Context(), principal(r).CompanyID, in)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusCreated, teamView{ID: t.ID, Name: t.Name, Members: []agentView{}, CreatedAt: t.CreatedAt})
}

func (d Deps) getTeam(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	t, members, err := d.Directory.GetTeam(r.Context(), principal(r).CompanyID, id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	v := teamView{ID: t.ID, Name: t.Name, Members: []agentView{}, CreatedAt: t.CreatedAt}
	for i := range members {
		v.Members = append(v.Members, viewAgent(&members[i]))
	}
	reply(w, http.StatusOK, v)
}

func (d Deps) memberIDs(r *http.Request) (int64, int64, error) {
	team, err := pathID(r, "id")
	if err != nil {
		return 0, 0, err
	}
	agent, err := pathID(r, "agent_id")
	return team, agent, err
}

func (d Deps) addMember(w http.ResponseWriter, r *http.Request) {
	team, agent, err := d.memberIDs(r)
	if err == nil {
		err = d.Directory.AddMember(r.Context(), principal(r).CompanyID, team, agent)
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (d Deps) removeMember(w http.ResponseWriter, r *http.Request) {
	team, agent, err := d.memberIDs(r)
	if err == nil {
		err = d.Directory.RemoveMember(r.Context(), principal(r).CompanyID, team, agent)
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
