package fsutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular is matched (errors.Is) by the errors OpenRegular and
// ReadRegular return for a FIFO, device, socket or folder where a file is
// expected; the error is a *NotRegularError, which says what it is.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is matched (errors.Is) by the error ReadRegular returns for a
// file larger than its limit.
var ErrTooLarge = errors.New("file too large")

// NotRegularError is the error for a path that names something other than
// a regular file.
type NotRegularError struct {
	Path string
	Mode fs.FileMode // what the path names (its type bits)
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s: %v (%v)", e.Path, ErrNotRegular, e.Mode.Type())
}

// Is makes the error match ErrNotRegular.
func (e *NotRegularError) Is(target error) bool { return target == ErrNotRegular }

// tooLarge is ReadRegular's error for a file over its limit.
type tooLarge struct{ msg string }

func (e tooLarge) Error() string      { return e.msg }
func (tooLarge) Is(target error) bool { return target == ErrTooLarge }

// OpenRegular opens the file at path for reading and returns it with its
// FileInfo, refusing anything but a regular file. It opens with O_NONBLOCK
// and checks the open file (fstat), so a FIFO is refused at once instead of
// waiting for a writer, and what is checked is what is read. A symbolic
// link is followed: a user may link a file into place. The error for a
// file that is not regular is a *NotRegularError (matching ErrNotRegular)
// and comes with the file's FileInfo.
func OpenRegular(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, st, &NotRegularError{Path: path, Mode: st.Mode()}
	}
	return f, st, nil
}

// ReadRegular reads a regular file of at most limit bytes (OpenRegular):
// a FIFO, a device or a folder in its place is refused rather than read
// forever, and a larger file is refused (ErrTooLarge) before any of it is
// read, or after reading one byte more than limit if it grew meanwhile.
func ReadRegular(path string, limit int64) ([]byte, error) {
	f, st, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > limit {
		return nil, tooLarge{fmt.Sprintf("%s: %d bytes, more than the %d allowed", path, st.Size(), limit)}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, tooLarge{fmt.Sprintf("%s: more than the %d bytes allowed", path, limit)}
	}
	return data, nil
}
