// Package learner is the contract between learning algorithms and the
// machinery that trains, checkpoints and plays them, and that machinery's
// shared part: the training loop.
//
// An algorithm (package mra, or a user's own) registers an Algorithm: its
// name, New (a Learner for training) and Load (its networks restored from a
// checkpoint, as Trained, to be played), and DecodeJSON for its settings.
// Its settings are its own type, implementing Settings: the trainer reads
// only their Algorithm name, their Schedule (replay buffer and update
// schedule) and their Check.
//
// The Trainer plays rounds of parallel episodes on every training
// population, stores transitions in one replay buffer per population
// (package replay) and calls the Learner: BeginEpisodes, Act, Update on
// the schedule, Err. It saves and restores its whole state (counters,
// random streams, buffers and the learner's own AppendState) in one
// checkpoint format; resume, evaluation (Load, StateRound, ModelState) and
// the league read it through this package and never name an algorithm.
//
// Optional abilities are small interfaces an algorithm implements when it
// offers them, found by type assertion:
//
//   - Meta (on a Learner): several rounds per population from common
//     parameters, combined at the end of the round (Reptile);
//   - Modal, Adapter (on Trained): play chosen latent modes, adapt to a
//     population not trained at; Adaptive (on Settings) says whether the
//     league should;
//   - Responder (on Trained): a trainable copy of the acting networks for
//     one agent, from which best responses are warm-started.
//   - Exporter (on Trained): the acting networks written for use outside
//     Go (mrasim export).
//
// The Trainer's size curriculum (Setup.Curriculum, after EPC) is its own:
// it decides which training populations each round plays, for any
// learner, and keeps its state in the checkpoint.
//
// What a caller may do: build a Trainer with NewTrainer, Run it (or drive
// it with PlayRound for measurements), Save/SaveTo between rounds, Load a
// state into a trainer of the same settings and setup. What an
// implementer may assume: calls come from one goroutine; Update is only
// called once the buffer holds a batch; SetState is only given what
// AppendState of a learner of the same settings and Build wrote.
//
// Layers: cmd → league → algorithms (mra) → agents/learner → agents/replay
// → env. This package never imports an algorithm.
package learner
