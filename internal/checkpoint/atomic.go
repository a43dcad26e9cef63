package checkpoint

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteAtomic replaces the file at path with the bytes write produces, so
// that path holds either its old content or all of the new one, even after a
// crash or power loss. It writes a temporary file ".BASE.tmp-*" in the same
// folder through a buffered writer, fsyncs it, renames it over path and
// fsyncs the folder. When write or any step fails, the temporary file is
// removed and an existing file at path is left untouched. The new file has
// permissions 0644.
func WriteAtomic(path string, write func(w io.Writer) error) error {
	return writeAtomic(path, func(f *os.File) error {
		bw := bufio.NewWriterSize(f, 1<<16)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	})
}

// writeAtomic does the work of WriteAtomic with fill writing the temporary
// file directly (fill may seek and write at offsets).
func writeAtomic(path string, fill func(f *os.File) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	done := false
	defer func() {
		// Also runs when fill panics: never leave a temporary file behind.
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := fill(f); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done = true
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("write %s: the file is in place but its folder could not be synced: %w", path, err)
	}
	return nil
}

// syncDir fsyncs the folder dir so that a rename inside it is durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
