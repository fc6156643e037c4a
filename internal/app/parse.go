package app

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/atende-helpdesk/atende/internal/mailparse"
)

// parseCmd prints the JSON report of one message file.
func parseCmd(ctx context.Context, args []string, sys IO) error {
	if len(args) != 1 || args[0] == "-h" || args[0] == "--help" {
		return usageError{"usage: atende parse FILE"}
	}
	m, err := mailparse.ParseFile(args[0], mailparse.Options{})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(sys.Out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(mailparse.NewReport(m)); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
