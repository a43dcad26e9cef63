package checkpoint

import (
	"os"
	"path/filepath"
	"strings"
)

// RemoveTemps removes the temporary files that WriteAtomic and WriteFile
// leave in folder dir when the process dies in the middle of a write
// (".NAME.tmp-*"), and returns their names. Call it only while no other
// process writes into dir (a run folder is locked while it is written).
func RemoveTemps(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, ".") || !strings.Contains(name, ".tmp-") {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !os.IsNotExist(err) {
			return removed, err
		}
		removed = append(removed, name)
	}
	return removed, nil
}
