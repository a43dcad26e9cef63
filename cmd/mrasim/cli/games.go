package cli

// The built-in games and algorithms register themselves when their
// packages are imported.
import (
	_ "github.com/mrasim/mrasim/env/matrix"
	_ "github.com/mrasim/mrasim/env/particle"
	_ "github.com/mrasim/mrasim/maddpg"
	_ "github.com/mrasim/mrasim/mappo"
	_ "github.com/mrasim/mrasim/mra"
)
