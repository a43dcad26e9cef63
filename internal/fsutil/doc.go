// Package fsutil reads files that users and other processes can put in
// mrasim's way — scenario and grid files, run folders, checkpoints,
// credentials — without blocking on a FIFO, reading a device or holding
// more memory than a limit: OpenRegular opens only regular files, and
// ReadRegular reads one of at most a given size. Every package that reads
// such a file uses it (internal/checkpoint, scenarios, league/sweep,
// league/natsrun, the command line), so there is one such check.
//
// It imports nothing of mrasim. It is not for writing files
// (checkpoint.WriteAtomic does that) nor for file formats.
package fsutil
