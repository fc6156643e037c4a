package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// TeamInput creates a team.
type TeamInput struct {
	Name string `json:"name"`
}

// CreateTeam adds a team to a company.
func (s *Service) CreateTeam(ctx context.Context, companyID int64, in TeamInput) (*model.Team, error) {
	var v ValidationError
	checkName(&v, "name", in.Name)
	if err := v.err(); err != nil {
		return nil, err
	}
	t := &model.Team{CompanyID: companyID, Name: strings.TrimSpace(in.Name)}
	if err := s.store.CreateTeam(ctx, t); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, Invalid("name", "a team with this name already exists")
		}
		return nil, fmt.Errorf("directory: create team: %w", err)
	}
	return t, nil
}

// GetTeam returns a team and its members.
func (s *Service) GetTeam(ctx context.Context, companyID, id int64) (*model.Team, []model.Agent, error) {
	t, err := s.store.GetTeam(ctx, companyID, id)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.store.ListTeamMembers(ctx, companyID, id)
	if err != nil {
		return nil, nil, fmt.Errorf("directory: team members: %w", err)
	}
	return t, m, nil
}

// ListTeams of a company.
func (s *Service) ListTeams(ctx context.Context, companyID int64) ([]model.Team, error) {
	return s.store.ListTeams(ctx, companyID)
}

// AddMember puts an agent in a team (idempotent); both must be the company's.
func (s *Service) AddMember(ctx context.Context, companyID, teamID, agentID int64) error {
	return s.store.AddTeamMember(ctx, companyID, teamID, agentID)
}

// RemoveMember takes an agent out of a team.
func (s *Service) RemoveMember(ctx context.Context, companyID, teamID, agentID int64) error {
	if _, err := s.store.GetTeam(ctx, companyID, teamID); err != nil {
		return err
	}
	return s.store.RemoveTeamMember(ctx, companyID, teamID, agentID)
}
