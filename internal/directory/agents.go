package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// AgentInput creates an agent.
type AgentInput struct {
	Email     string     `json:"email"`
	Name      string     `json:"name"`
	Role      model.Role `json:"role"`
	Password  string     `json:"password,omitempty"` // optional: "" = cannot log in with a password yet
	Signature string     `json:"signature,omitempty"`
	Language  string     `json:"language,omitempty"` // default pt-BR
}

func (in *AgentInput) validate(s *Service, v *ValidationError, p string, passwordRequired bool) {
	checkEmail(v, p+"email", in.Email)
	checkName(v, p+"name", in.Name)
	if !in.Role.Valid() {
		v.add(p+"role", "must be admin or agent")
	}
	if in.Password != "" || passwordRequired {
		checkPassword(v, p+"password", in.Password)
	}
	if utf8.RuneCountInString(in.Signature) > maxSig {
		v.add(p+"signature", fmt.Sprintf("must be at most %d characters", maxSig))
	}
	if in.Language == "" {
		in.Language = "pt-BR"
	}
	if !s.validLanguage(in.Language) {
		v.add(p+"language", "must be one of the languages the UI speaks")
	}
}

func (in AgentInput) agent(hash Hasher) (*model.Agent, error) {
	a := &model.Agent{Email: model.NormalizeEmail(in.Email), Name: strings.TrimSpace(in.Name), Role: in.Role,
		Signature: in.Signature, Language: in.Language}
	if in.Password != "" {
		h, err := hash(in.Password)
		if err != nil {
			return nil, fmt.Errorf("directory: hash password: %w", err)
		}
		a.PasswordHash = h
	}
	return a, nil
}

// CreateAgent adds an agent to a company.
func (s *Service) CreateAgent(ctx context.Context, companyID int64, in AgentInput) (*model.Agent, error) {
	var v ValidationError
	in.validate(s, &v, "", false)
	if err := v.err(); err != nil {
		return nil, err
	}
	a, err := in.agent(s.hash)
	if err != nil {
		return nil, err
	}
	a.CompanyID = companyID
	if err := s.store.CreateAgent(ctx, a); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, Invalid("email", "an agent with this email already exists")
		}
		return nil, fmt.Errorf("directory: create agent: %w", err)
	}
	return a, nil
}

// GetAgent of a company.
func (s *Service) GetAgent(ctx context.Context, companyID, id int64) (*model.Agent, error) {
	return s.store.GetAgent(ctx, companyID, id)
}

// ListAgents of a company.
func (s *Service) ListAgents(ctx context.Context, companyID int64) ([]model.Agent, error) {
	return s.store.ListAgents(ctx, companyID)
}

// AgentPatch changes some fields of an agent (nil = unchanged).
type AgentPatch struct {
	Name      *string     `json:"name,omitempty"`
	Role      *model.Role `json:"role,omitempty"`
	Password  *string     `json:"password,omitempty"`
	Signature *string     `json:"signature,omitempty"`
	Language  *string     `json:"language,omitempty"`
	// TimeZone is an IANA name ("America/Manaus"); "" = none (the
	// company's zone, until the browser's is saved).
	TimeZone *string `json:"time_zone,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
}

// UpdateAgent applies p. Changing the password or disabling the agent ends
// their sessions. The company always keeps at least one active admin.
func (s *Service) UpdateAgent(ctx context.Context, companyID, id int64, p AgentPatch) (*model.Agent, error) {
	a, err := s.store.GetAgent(ctx, companyID, id)
	if err != nil {
		return nil, err
	}
	var v ValidationError
	if p.Name != nil {
		checkName(&v, "name", *p.Name)
		a.Name = strings.TrimSpace(*p.Name)
	}
	if p.Role != nil {
		if !p.Role.Valid() {
			v.add("role", "must be admin or agent")
		}
		a.Role = *p.Role
	}
	if p.Signature != nil {
		if utf8.RuneCountInString(*p.Signature) > maxSig {
			v.add("signature", fmt.Sprintf("must be at most %d characters", maxSig))
		}
		a.Signature = *p.Signature
	}
	if p.TimeZone != nil {
		if *p.TimeZone != "" && !model.ValidTimeZone(*p.TimeZone) {
			v.add("time_zone", "must be a time zone such as America/Sao_Paulo")
		} else {
			a.TimeZone = *p.TimeZone
		}
	}
	if p.Language != nil {
		if !s.validLanguage(*p.Language) {
			v.add("language", "must be one of the languages the UI speaks")
		}
		a.Language = *p.Language
	}
	if p.Disabled != nil {
		a.Disabled = *p.Disabled
	}
	if p.Password != nil {
		checkPassword(&v, "password", *p.Password)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if a.Role != model.RoleAdmin || a.Disabled {
		all, err := s.store.ListAgents(ctx, companyID)
		if err != nil {
			return nil, fmt.Errorf("directory: update agent: %w", err)
		}
		others := 0
		for _, o := range all {
			if o.ID != a.ID && o.Role == model.RoleAdmin && !o.Disabled {
				others++
			}
		}
		if others == 0 {
			field := "role"
			if p.Disabled != nil && *p.Disabled {
				field = "disabled"
			}
			return nil, Invalid(field, "the company needs at least one active admin")
		}
	}
	if p.Password != nil {
		h, err := s.hash(*p.Password)
		if err != nil {
			return nil, fmt.Errorf("directory: hash password: %w", err)
		}
		a.PasswordHash = h
	}
	if err := s.store.UpdateAgent(ctx, a); err != nil {
		return nil, fmt.Errorf("directory: update agent: %w", err)
	}
	if p.Password != nil || a.Disabled {
		if _, err := s.store.DeleteAgentSessions(ctx, companyID, a.ID); err != nil {
			return nil, fmt.Errorf("directory: end sessions: %w", err)
		}
	}
	return a, nil
}
