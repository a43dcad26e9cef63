package cli

// The built-in games register themselves when their packages are imported.
import (
	_ "github.com/mrasim/mrasim/env/matrix"
	_ "github.com/mrasim/mrasim/env/particle"
)
