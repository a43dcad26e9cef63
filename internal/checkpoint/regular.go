package checkpoint

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular is wrapped by the errors OpenRegular and ReadRegular return
// for a FIFO, device, socket or folder where a file is expected.
var ErrNotRegular = errors.New("not a regular file")

// OpenRegular opens the file at path for reading and returns it with its
// FileInfo, refusing anything but a regular file. It opens with O_NONBLOCK
// and checks the open file (fstat), so a FIFO is refused at once instead of
// waiting for a writer, and what is checked is what is read. A symbolic
// link is followed: a user may link a file into place. The error for a
// file that is not regular wraps ErrNotRegular and comes with the file's
// FileInfo, which says what it is.
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
		return nil, st, fmt.Errorf("%s: %w (%v)", path, ErrNotRegular, st.Mode().Type())
	}
	return f, st, nil
}

// ReadRegular reads a regular file of at most limit bytes (OpenRegular):
// a FIFO, a device or a folder in its place is refused rather than read
// forever, and a larger file is refused before any of it is read.
func ReadRegular(path string, limit int64) ([]byte, error) {
	f, st, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d allowed", path, st.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: more than the %d bytes allowed", path, limit)
	}
	return data, nil
}
