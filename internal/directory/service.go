package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// Hasher turns a password into a stored hash (auth.Service.HashPassword).
type Hasher func(password string) (string, error)

// Service manages companies, agents, teams and channels.
type Service struct {
	store store.Store
	hash  Hasher
	log   *slog.Logger
	pol   Policies
	langs []string
}

// New returns a Service.
func New(st store.Store, hash Hasher, log *slog.Logger) *Service {
	return &Service{store: st, hash: hash, log: log}
}

// Limits on input.
const (
	MinPassword = 10
	MaxPassword = 1024
	maxName     = 200
	maxSig      = 20000
)

// DefaultLanguages are the languages agents and companies may choose
// until SetLanguages says otherwise (the web UI's catalogs decide).
var DefaultLanguages = []string{"pt-BR", "en"}

// SetLanguages sets the languages agents and companies may choose (the
// locales the UI has catalogs for); call it before serving requests.
func (s *Service) SetLanguages(langs []string) {
	if len(langs) > 0 {
		s.langs = append([]string(nil), langs...)
	}
}

func (s *Service) validLanguage(l string) bool {
	langs := s.langs
	if len(langs) == 0 {
		langs = DefaultLanguages
	}
	for _, x := range langs {
		if l == x {
			return true
		}
	}
	return false
}

func checkName(v *ValidationError, field, name string) {
	n := utf8.RuneCountInString(strings.TrimSpace(name))
	switch {
	case n == 0:
		v.add(field, "required")
	case n > maxName:
		v.add(field, fmt.Sprintf("must be at most %d characters", maxName))
	case strings.ContainsFunc(name, unicode.IsControl):
		// A name becomes a header's display name (From of replies).
		v.add(field, "must be one line without control characters")
	}
}

func checkEmail(v *ValidationError, field, email string) {
	e := strings.TrimSpace(email)
	if e == "" {
		v.add(field, "required")
		return
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Name != "" || !strings.EqualFold(a.Address, e) || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		v.add(field, "must be an email address such as ana@empresa.com.br")
	}
}

func checkPassword(v *ValidationError, field, pw string) {
	switch n := utf8.RuneCountInString(pw); {
	case n < MinPassword:
		v.add(field, fmt.Sprintf("must be at least %d characters", MinPassword))
	case len(pw) > MaxPassword:
		v.add(field, fmt.Sprintf("must be at most %d bytes", MaxPassword))
	}
}

// CompanyInput creates a company.
type CompanyInput struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

func (in CompanyInput) validate(v *ValidationError, prefix string) {
	if !model.ValidSlug(in.Slug) {
		v.add(prefix+"slug", "use 1 to 63 lowercase letters, digits and '-', not starting or ending with '-'")
	}
	checkName(v, prefix+"name", in.Name)
}

// CreateCompany creates a tenant.
func (s *Service) CreateCompany(ctx context.Context, in CompanyInput) (*model.Company, error) {
	var v ValidationError
	in.validate(&v, "")
	if err := v.err(); err != nil {
		return nil, err
	}
	co := &model.Company{Slug: in.Slug, Name: strings.TrimSpace(in.Name)}
	if err := s.store.CreateCompany(ctx, co); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, Invalid("slug", "already in use")
		}
		return nil, fmt.Errorf("directory: create company: %w", err)
	}
	return co, nil
}

// NeedsSetup reports whether the database has no company yet.
func (s *Service) NeedsSetup(ctx context.Context) (bool, error) {
	cos, err := s.store.ListCompanies(ctx)
	if err != nil {
		return false, fmt.Errorf("directory: needs setup: %w", err)
	}
	return len(cos) == 0, nil
}

// SetupInput is the first company and its first admin.
type SetupInput struct {
	Company CompanyInput `json:"company"`
	Admin   AgentInput   `json:"admin"`
	// TimeZone is the company's and the admin's zone (the browser's);
	// "" = model.DefaultTimeZone for the company, none for the admin.
	TimeZone string `json:"time_zone,omitempty"`
}

// CompanySettings is what an admin may change about the company: the
// language and time zone of what its customers read.
type CompanySettings struct {
	Language string `json:"language"`
	TimeZone string `json:"time_zone"`
}

// UpdateCompanySettings validates and saves s.
func (s *Service) UpdateCompanySettings(ctx context.Context, companyID int64, in CompanySettings) (*model.Company, error) {
	var v ValidationError
	if !s.validLanguage(in.Language) {
		v.add("language", "must be one of the languages the UI speaks")
	}
	if !model.ValidTimeZone(in.TimeZone) {
		v.add("time_zone", "must be a time zone such as America/Sao_Paulo")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	co, err := s.store.GetCompany(ctx, companyID)
	if err != nil {
		return nil, err
	}
	co.Language, co.TimeZone = in.Language, in.TimeZone
	if err := s.store.UpdateCompany(ctx, co); err != nil {
		return nil, fmt.Errorf("directory: update company: %w", err)
	}
	return co, nil
}

// Setup creates the first company and admin in one transaction, only when
// there is no company (else ErrSetupDone).
func (s *Service) Setup(ctx context.Context, in SetupInput) (*model.Company, *model.Agent, error) {
	in.Admin.Role = model.RoleAdmin
	var v ValidationError
	in.Company.validate(&v, "company.")
	in.Admin.validate(s, &v, "admin.", true)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	need, err := s.NeedsSetup(ctx)
	if err != nil {
		return nil, nil, err
	}
	if !need {
		return nil, nil, ErrSetupDone
	}
	a, err := in.Admin.agent(s.hash)
	if err != nil {
		return nil, nil, err
	}
	if in.TimeZone != "" && !model.ValidTimeZone(in.TimeZone) {
		in.TimeZone = "" // the browser's guess only: never refuse setup for it
	}
	co := &model.Company{Slug: in.Company.Slug, Name: strings.TrimSpace(in.Company.Name), Language: a.Language, TimeZone: in.TimeZone}
	a.TimeZone = in.TimeZone
	err = s.store.Tx(ctx, func(q store.Queries) error {
		if cos, err := q.ListCompanies(ctx); err != nil {
			return err
		} else if len(cos) > 0 {
			return ErrSetupDone
		}
		if err := q.CreateCompany(ctx, co); err != nil {
			return err
		}
		a.CompanyID = co.ID
		return q.CreateAgent(ctx, a)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, nil, ErrSetupDone // a concurrent setup won
	}
	if err != nil {
		return nil, nil, fmt.Errorf("directory: setup: %w", err)
	}
	s.log.Info("directory: first company set up", "company", co.Slug, "admin", a.ID)
	return co, a, nil
}
