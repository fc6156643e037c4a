package blob

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// openAnon opens an anonymous file (O_TMPFILE) on dir's filesystem.
func openAnon(dir string) (*os.File, error) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EISDIR) || errors.Is(err, unix.EINVAL) {
			return nil, errNoTmpfile
		}
		return nil, err
	}
	return os.NewFile(uintptr(fd), dir+"/(O_TMPFILE)"), nil
}

// linkAnon gives an O_TMPFILE file the name dst: linkat(2) through
// /proc/self/fd (AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH). It fails
// with an fs.ErrExist error when dst exists.
func linkAnon(f *os.File, dst string) error {
	err := unix.Linkat(unix.AT_FDCWD, fmt.Sprintf("/proc/self/fd/%d", f.Fd()), unix.AT_FDCWD, dst, unix.AT_SYMLINK_FOLLOW)
	if err != nil {
		return &os.LinkError{Op: "link", Old: f.Name(), New: dst, Err: err}
	}
	return nil
}
