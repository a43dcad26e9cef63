package progress

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// ETA estimates the time left when done of total units took elapsed,
// assuming the remaining units go at the average rate so far. It returns
// false when there is no basis for an estimate (nothing done yet, or an
// unknown total, total ≤ 0); it returns 0 when done ≥ total.
//
//	ETA = elapsed · (total − done) / done
func ETA(elapsed time.Duration, done, total int64) (time.Duration, bool) {
	if total <= 0 || done <= 0 {
		return 0, false
	}
	if done >= total {
		return 0, true
	}
	s := elapsed.Seconds() * float64(total-done) / float64(done)
	if s >= math.MaxInt64/float64(time.Second) {
		return time.Duration(math.MaxInt64), true
	}
	return time.Duration(s * float64(time.Second)), true
}

// FormatDuration formats d, rounded to the second, in the two largest units
// that matter: "0s", "42s", "1m29s", "2h05m", "3d07h". Negative durations
// format as "0s".
func FormatDuration(d time.Duration) string {
	if d < 0 {
		return "0s"
	}
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	default:
		return fmt.Sprintf("%dd%02dh", s/86400, s%86400/3600)
	}
}

// FormatRate formats a rate per second for display: whole numbers with
// thousands separators from 100 up ("3,412", "1,250,000"), one decimal from
// 10 ("12.5"), two below ("0.25"). NaN, infinities and negative rates format
// as "-".
func FormatRate(perSecond float64) string {
	switch {
	case math.IsNaN(perSecond) || math.IsInf(perSecond, 0) || perSecond < 0:
		return "-"
	case perSecond >= 99.5:
		return groupThousands(strconv.FormatFloat(math.Round(perSecond), 'f', 0, 64))
	case perSecond >= 9.995:
		return strconv.FormatFloat(perSecond, 'f', 1, 64)
	default:
		return strconv.FormatFloat(perSecond, 'f', 2, 64)
	}
}

// groupThousands inserts a comma every three digits of a string of digits.
func groupThousands(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	head := len(digits) % 3
	if head == 0 {
		head = 3
	}
	b := []byte(digits[:head])
	for i := head; i < len(digits); i += 3 {
		b = append(b, ',')
		b = append(b, digits[i:i+3]...)
	}
	return string(b)
}

// Rate returns n units over elapsed as units per second, and 0 when elapsed
// is not positive.
func Rate(n int64, elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	return float64(n) / elapsed.Seconds()
}
