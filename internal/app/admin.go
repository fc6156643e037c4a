package app

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/atende-helpdesk/atende/internal/auth"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/config"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

const adminUsage = `Usage:
  atende admin create-company --slug S --name N
  atende admin create-agent --company S --email E --name N [--role admin|agent] [--language pt-BR|en] [--password-stdin]
  atende admin nodes [--json]            the nodes sharing the database, heartbeats, mailboxes held
  atende admin gc-blobs [--dry-run] [--grace 24h]
                                         remove blobs nothing references, older than the grace period
  atende admin migrate-blobs --to s3://bucket?endpoint=…&region=… [--from DIR]
                                         copy the filesystem blobs to S3 (safe to run again)

create-agent reads the password from the first line of standard input with
--password-stdin; without it a random password is generated and printed once.
`

// adminCmd: atende admin create-company | create-agent, for scripted installs.
func adminCmd(ctx context.Context, args []string, sys IO) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(sys.Err, adminUsage)
		return usageError{}
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "nodes":
		return adminNodes(ctx, rest, sys)
	case "migrate-blobs":
		return adminMigrateBlobs(ctx, rest, sys)
	case "gc-blobs":
		return adminGCBlobs(ctx, rest, sys)
	case "create-company":
		var slug, name string
		cfg, extra, err := loadConfig("admin create-company", rest, sys, func(_ *config.Config, fs *flag.FlagSet) {
			fs.StringVar(&slug, "slug", "", "company slug: lowercase letters, digits and '-' (required)")
			fs.StringVar(&name, "name", "", "company name (required)")
		})
		if err != nil {
			return err
		}
		if len(extra) > 0 {
			return usageError{fmt.Sprintf("unexpected arguments %q", extra)}
		}
		dir, st, err := openDirectory(ctx, cfg, sys.Clock)
		if err != nil {
			return err
		}
		defer st.Close()
		co, err := dir.CreateCompany(ctx, directory.CompanyInput{Slug: slug, Name: name})
		if err != nil {
			return fieldErrors(err)
		}
		fmt.Fprintf(sys.Out, "Created company %s (%q), id %d.\n", co.Slug, co.Name, co.ID)
		return nil
	case "create-agent":
		var company, email, name, role, lang string
		var pwStdin bool
		cfg, extra, err := loadConfig("admin create-agent", rest, sys, func(_ *config.Config, fs *flag.FlagSet) {
			fs.StringVar(&company, "company", "", "company slug (required)")
			fs.StringVar(&email, "email", "", "agent email (required)")
			fs.StringVar(&name, "name", "", "agent name (required)")
			fs.StringVar(&role, "role", "agent", "admin or agent")
			fs.StringVar(&lang, "language", "pt-BR", "pt-BR or en")
			fs.BoolVar(&pwStdin, "password-stdin", false, "read the password from the first line of standard input")
		})
		if err != nil {
			return err
		}
		if len(extra) > 0 {
			return usageError{fmt.Sprintf("unexpected arguments %q", extra)}
		}
		if company == "" {
			return usageError{"--company is required"}
		}
		password, generated := "", false
		if pwStdin {
			if sys.In == nil {
				return usageError{"--password-stdin: no standard input"}
			}
			line, err := bufio.NewReader(io.LimitReader(sys.In, directory.MaxPassword+2)).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("read password: %w", err)
			}
			password = strings.TrimRight(line, "\r\n")
		} else {
			var b [15]byte
			_, _ = rand.Read(b[:])
			password, generated = base64.RawURLEncoding.EncodeToString(b[:]), true
		}
		dir, st, err := openDirectory(ctx, cfg, sys.Clock)
		if err != nil {
			return err
		}
		defer st.Close()
		co, err := st.GetCompanyBySlug(ctx, company)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("company %q does not exist (create it with: atende admin create-company --slug %s --name ...)", company, company)
		} else if err != nil {
			return err
		}
		a, err := dir.CreateAgent(ctx, co.ID, directory.AgentInput{Email: email, Name: name, Role: model.Role(role), Password: password, Language: lang})
		if err != nil {
			return fieldErrors(err)
		}
		fmt.Fprintf(sys.Out, "Created %s %s in %s, id %d.\n", a.Role, a.Email, co.Slug, a.ID)
		if generated {
			fmt.Fprintf(sys.Out, "Password (shown once): %s\n", password)
		}
		return nil
	}
	fmt.Fprint(sys.Err, adminUsage)
	return usageError{fmt.Sprintf("unknown admin command %q", sub)}
}

func openDirectory(ctx context.Context, cfg config.Config, clk clock.Clock) (*directory.Service, store.Store, error) {
	st, _, err := openStores(ctx, cfg, clk)
	if err != nil {
		return nil, nil, err
	}
	hash := func(pw string) (string, error) { return auth.HashPassword(pw, auth.DefaultParams) }
	return directory.New(st, hash, newLogger(cfg, io.Discard)), st, nil
}

// fieldErrors renders validation errors one per line for the terminal.
func fieldErrors(err error) error {
	var ve directory.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var b strings.Builder
	b.WriteString("invalid input:")
	for _, f := range ve {
		fmt.Fprintf(&b, "\n--%s: %s", strings.ReplaceAll(f.Field, "_", "-"), f.Message)
	}
	return errors.New(b.String())
}
