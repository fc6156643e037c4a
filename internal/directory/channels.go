package directory

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/routing"
	"github.com/atende-helpdesk/atende/internal/store"
)

// ChannelInput creates a channel. Connection details and secrets are set
// by the channel setup flow (another feature); this makes the record.
type ChannelInput struct {
	Slug         string           `json:"slug"`
	Name         string           `json:"name"`
	Incoming     model.Connection `json:"incoming"` // default internal
	Outgoing     model.Connection `json:"outgoing"` // default internal
	PrimaryEmail string           `json:"primary_email"`
}

// CreateChannel adds an enabled channel with a fresh inbound token.
func (s *Service) CreateChannel(ctx context.Context, companyID int64, in ChannelInput) (*model.Channel, error) {
	var v ValidationError
	if !model.ValidSlug(in.Slug) {
		v.add("slug", "use 1 to 63 lowercase letters, digits and '-', not starting or ending with '-'")
	}
	checkName(&v, "name", in.Name)
	if in.Incoming == "" {
		in.Incoming = model.ConnInternal
	}
	if in.Outgoing == "" {
		in.Outgoing = model.ConnInternal
	}
	if in.Incoming != model.ConnInternal && in.Incoming != model.ConnExternal {
		v.add("incoming", "must be internal or external")
	}
	if !in.Outgoing.Valid() {
		v.add("outgoing", "must be internal, external or office365")
	}
	checkEmail(&v, "primary_email", in.PrimaryEmail)
	if err := v.err(); err != nil {
		return nil, err
	}
	ch := &model.Channel{CompanyID: companyID, Slug: in.Slug, Name: strings.TrimSpace(in.Name), Enabled: true,
		Incoming: in.Incoming, Outgoing: in.Outgoing, InboundToken: inboundToken(),
		Settings: model.ChannelSettings{PrimaryEmail: model.NormalizeEmail(in.PrimaryEmail)}}
	if err := s.store.CreateChannel(ctx, ch); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, Invalid("slug", "a channel with this slug already exists")
		}
		return nil, fmt.Errorf("directory: create channel: %w", err)
	}
	return ch, nil
}

func inboundToken() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// ChannelPatch renames or enables/disables a channel.
type ChannelPatch struct {
	Name    *string `json:"name,omitempty"`
	Enabled *bool   `json:"enabled,omitempty"`
}

// UpdateChannel applies p.
func (s *Service) UpdateChannel(ctx context.Context, companyID, id int64, p ChannelPatch) (*model.Channel, error) {
	ch, err := s.store.GetChannel(ctx, companyID, id)
	if err != nil {
		return nil, err
	}
	var v ValidationError
	if p.Name != nil {
		checkName(&v, "name", *p.Name)
		ch.Name = strings.TrimSpace(*p.Name)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if p.Enabled != nil {
		ch.Enabled = *p.Enabled
	}
	if err := s.store.UpdateChannel(ctx, ch); err != nil {
		return nil, fmt.Errorf("directory: update channel: %w", err)
	}
	return ch, nil
}

// GetChannel of a company.
func (s *Service) GetChannel(ctx context.Context, companyID, id int64) (*model.Channel, error) {
	return s.store.GetChannel(ctx, companyID, id)
}

// ListChannels of a company.
func (s *Service) ListChannels(ctx context.Context, companyID int64) ([]model.Channel, error) {
	return s.store.ListChannels(ctx, companyID)
}

// ValidateRule checks r with routing's validator (field names turned into
// the stored rule's JSON names: "filters[0].action.team_id" becomes
// "filters[0].team_id") and checks that every team and assignee it names
// belongs to the company.
func (s *Service) ValidateRule(ctx context.Context, companyID int64, r model.ChannelRule) error {
	var v ValidationError
	if err := routing.FromModel(r).Validate(); err != nil {
		var re routing.ValidationError
		if !errors.As(err, &re) {
			return fmt.Errorf("directory: validate rule: %w", err)
		}
		for _, fe := range re {
			v.add(strings.Replace(fe.Field, ".action.", ".", 1), fe.Message)
		}
	}
	teams := map[int64]bool{}
	agents := map[int64]bool{}
	teamOK := func(id int64) (bool, error) {
		if ok, seen := teams[id]; seen {
			return ok, nil
		}
		_, err := s.store.GetTeam(ctx, companyID, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
		teams[id] = err == nil
		return err == nil, nil
	}
	agentOK := func(id int64) (bool, error) {
		if ok, seen := agents[id]; seen {
			return ok, nil
		}
		a, err := s.store.GetAgent(ctx, companyID, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
		agents[id] = err == nil && !a.Disabled
		return agents[id], nil
	}
	if r.DefaultTeamID > 0 {
		ok, err := teamOK(r.DefaultTeamID)
		if err != nil {
			return fmt.Errorf("directory: validate rule: %w", err)
		}
		if !ok {
			v.add("default_team_id", "no such team")
		}
	}
	for i, f := range r.Filters {
		if f.TeamID > 0 {
			ok, err := teamOK(f.TeamID)
			if err != nil {
				return fmt.Errorf("directory: validate rule: %w", err)
			}
			if !ok {
				v.add(fmt.Sprintf("filters[%d].team_id", i), "no such team")
			}
		}
		if f.AssigneeID > 0 {
			ok, err := agentOK(f.AssigneeID)
			if err != nil {
				return fmt.Errorf("directory: validate rule: %w", err)
			}
			if !ok {
				v.add(fmt.Sprintf("filters[%d].assignee_id", i), "no such active agent")
			}
		}
	}
	return v.err()
}

// SetRule validates r and stores it as the channel's rule.
func (s *Service) SetRule(ctx context.Context, companyID, channelID int64, r model.ChannelRule) (*model.Channel, error) {
	ch, err := s.store.GetChannel(ctx, companyID, channelID)
	if err != nil {
		return nil, err
	}
	if err := s.ValidateRule(ctx, companyID, r); err != nil {
		return nil, err
	}
	for i := range r.Filters {
		r.Filters[i].Value = strings.TrimSpace(r.Filters[i].Value)
	}
	ch.Settings.Rule = r
	if err := s.store.UpdateChannel(ctx, ch); err != nil {
		return nil, fmt.Errorf("directory: set rule: %w", err)
	}
	return ch, nil
}
