package natsrun

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/mrasim/mrasim/league/jobs"
)

// wireVersion is the layout version of job messages and result records.
const wireVersion = 1

// sumHeader carries the hex SHA-256 of a job message's body.
const sumHeader = "Mrasim-Sha256"

// envelope is a job message's body.
type envelope struct {
	Version int    `json:"v"`
	Batch   string `json:"batch"`
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	Payload []byte `json:"payload"`
}

// record is a job's result as stored in the bucket.
type record struct {
	Version    int     `json:"v"`
	ID         string  `json:"id"`
	Worker     string  `json:"worker"`
	Result     []byte  `json:"result,omitempty"`
	Error      string  `json:"error,omitempty"` // the job failed (Refused: at once, else after MaxDeliver attempts)
	Refused    bool    `json:"refused,omitempty"`
	Deliveries uint64  `json:"deliveries"`
	Seconds    float64 `json:"seconds"` // the handler's wall time
}

// batchID names a batch by its content: the same jobs give the same ID,
// so a restarted submitter finds its results.
func batchID(b jobs.Batch) string {
	h := sha256.New()
	jobs := append([]jobs.Job(nil), b.Jobs...)
	sort.Slice(jobs, func(i, k int) bool { return jobs[i].ID < jobs[k].ID })
	for _, j := range jobs {
		ps := sha256.Sum256(j.Payload)
		fmt.Fprintf(h, "%s\x00%s\x00%x\n", j.ID, j.Kind, ps)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

func resultKey(batch, id string) string { return batch + "." + id }

// parseJob checks a job message: its checksum, then its version. It
// returns what it could decode even on error, so a refusal can be stored
// under the job's key when the key is known.
func parseJob(body []byte, sum string) (envelope, error) {
	var e envelope
	jsonErr := json.Unmarshal(body, &e)
	if got := jobs.BlobSum(body); sum != got {
		return e, jobs.Refusef("job message checksum mismatch: header %q, body hashes to %s", sum, got)
	}
	if jsonErr != nil {
		return e, jobs.Refusef("job message: %v", jsonErr)
	}
	if e.Version != wireVersion {
		return e, jobs.Refusef("job message version %d, this worker reads version %d", e.Version, wireVersion)
	}
	if !jobs.ValidID(e.ID) || !validBatch(e.Batch) {
		return e, jobs.Refusef("job message names batch %q job %q: not valid names", e.Batch, e.ID)
	}
	return e, nil
}

func validBatch(b string) bool {
	if len(b) != 32 {
		return false
	}
	_, err := hex.DecodeString(b)
	return err == nil
}
