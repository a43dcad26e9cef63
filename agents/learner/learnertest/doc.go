// Package learnertest holds what the algorithms' tests share: small game
// specs, random replay batches and a central-difference gradient check for
// the update code, and TinyRun, the "train a tiny run" setup of the
// trainer, league and command tests. Only tests import it.
package learnertest
