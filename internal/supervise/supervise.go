// Package supervise runs a command line in a child process so that its
// exit code keeps its meaning when the Go runtime dies. A Go program that
// runs out of memory, or panics in a goroutine, is ended by the runtime
// with exit code 2 — the code mrasim reserves for bad input (flags,
// scenario files), which scripts read as "fix your input". Only a process
// that outlives the failure can tell the two apart.
//
// Run starts the same executable again as a child with the same arguments,
// standard streams and environment (plus a marker). The child runs the
// command and reports its exit code on an extra pipe just before exiting.
// The parent waits; when the child exits without having reported a code
// (the runtime killed it), an exit code 2 becomes 1 and a death by signal
// becomes 128 + the signal's number.
//
// Signals: a terminal's Ctrl-C (and Ctrl-\) reaches both processes, so the
// parent ignores SIGINT and SIGQUIT and lets the child handle them; SIGTERM
// and SIGHUP, which are usually sent to one process id, are forwarded to
// the child.
package supervise

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

// envMarker marks the child's environment; its value is the number of the
// file descriptor of the status pipe.
const envMarker = "MRASIM_SUPERVISED_STATUS_FD"

// FatalExit is the exit code of a child that the runtime killed with 2.
const FatalExit = 1

// Run runs main under supervision and returns the exit code to exit with.
// In the child it runs main and reports its code; in the parent it starts
// the child and maps its exit. If the child cannot be started (no
// executable path, exec refused), main runs in this process instead.
func Run(main func() int) int {
	if fd := os.Getenv(envMarker); fd != "" {
		code := main()
		report(fd, code)
		return code
	}
	exe, err := os.Executable()
	if err != nil {
		return main()
	}
	r, w, err := os.Pipe()
	if err != nil {
		return main()
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{w} // fd 3 in the child
	cmd.Env = append(os.Environ(), envMarker+"=3")

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		signal.Stop(sigs)
		return main()
	}
	w.Close()
	go func() {
		for s := range sigs {
			if s == syscall.SIGTERM || s == syscall.SIGHUP {
				cmd.Process.Signal(s)
			}
		}
	}()
	status, _ := io.ReadAll(io.LimitReader(r, 16))
	r.Close()
	err = cmd.Wait()
	return exitCode(status, err)
}

// report writes the child's exit code to the status pipe.
func report(fd string, code int) {
	var n uintptr
	if _, err := fmt.Sscan(fd, &n); err != nil {
		return
	}
	f := os.NewFile(n, "status")
	if f == nil {
		return
	}
	fmt.Fprintf(f, "%d\n", code)
	f.Close()
}

// exitCode maps the child's end to the parent's exit code: the reported
// code if there is one, else the child's exit code with 2 turned into
// FatalExit, or 128 + the signal that killed it.
func exitCode(status []byte, waitErr error) int {
	var reported int
	if _, err := fmt.Sscan(string(status), &reported); err == nil {
		return reported
	}
	if waitErr == nil {
		return 0
	}
	var ee *exec.ExitError
	if !errors.As(waitErr, &ee) {
		return FatalExit
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	if code := ee.ExitCode(); code != 2 {
		return code
	}
	return FatalExit
}
