// Package learnertest holds what the algorithms' tests share: small game
// specs, random replay batches and a central-difference gradient check for
// the update code, and the tiny runs of the trainer, league and algorithm
// tests — NewTrainer and Start (a trainer closed when the test ends), Run
// and Save, Train and MustTrain (train to the budget, return the state),
// TrainFrom (train or resume to the budget, return state and metrics) and
// Pops. The command's tests train through the command instead (their own
// tinyScenario). Only tests import it.
package learnertest
