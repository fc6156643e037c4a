//go:build !linux

package blob

import (
	"errors"
	"os"
)

func openAnon(string) (*os.File, error) { return nil, errNoTmpfile }

func linkAnon(*os.File, string) error { return errors.ErrUnsupported }
