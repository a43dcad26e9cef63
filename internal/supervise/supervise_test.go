package supervise

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The test binary plays the supervised program: SUPERVISE_CASE picks what
// its main does; Run is then called as cmd/mrasim calls it.
func TestMain(m *testing.M) {
	if c := os.Getenv("SUPERVISE_CASE"); c != "" {
		os.Exit(Run(func() int {
			switch c {
			case "ok":
				return 0
			case "usage":
				return 2 // bad input: must stay 2
			case "fail":
				return 1
			case "panic":
				done := make(chan bool)
				go func() { panic("a goroutine's panic") }()
				<-done
			case "oom":
				var keep [][]byte
				for {
					keep = append(keep, make([]byte, 1<<40)) // fatal error: out of memory (or a runtime failure)
				}
			}
			return 0
		}))
	}
	os.Exit(m.Run())
}

func TestFatalErrorsDoNotExit2(t *testing.T) {
	for _, tc := range []struct {
		name   string
		want   int
		stderr string
	}{
		{"ok", 0, ""},
		{"usage", 2, ""},
		{"fail", 1, ""},
		{"panic", FatalExit, "a goroutine's panic"},
		{"oom", FatalExit, "out of memory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "SUPERVISE_CASE="+tc.name)
			var errOut strings.Builder
			cmd.Stderr = &errOut
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.want || !strings.Contains(errOut.String(), tc.stderr) {
				t.Errorf("exit %d, want %d\n%s", code, tc.want, errOut.String())
			}
		})
	}
}

func TestExitCodeWithoutAReport(t *testing.T) {
	if got := exitCode([]byte("2\n"), nil); got != 2 {
		t.Errorf("a reported 2 became %d", got)
	}
	if got := exitCode(nil, nil); got != 0 {
		t.Errorf("a clean exit without report became %d", got)
	}
}
