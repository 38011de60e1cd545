package salvo

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// RunRecord is one entry of a store's run ledger: what a salvo run did, kept in
// the database next to the vectors it produced.
type RunRecord struct {
	ID         int64           `json:"id"` // set by the store
	Collection string          `json:"collection"`
	Model      string          `json:"model"`
	Started    time.Time       `json:"started"`
	Finished   time.Time       `json:"finished"`
	Stats      json.RawMessage `json:"stats,omitempty"` // any JSON value; null or empty is stored as {}
	Args       []string        `json:"args,omitempty"`  // the command line
}

// JSON returns the run's stats and arguments as the JSON a store keeps:
// stats as given ({} when empty or null), args as an array. Stats that are
// not valid JSON are an error.
func (r *RunRecord) JSON() (stats, args string, err error) {
	s := []byte(r.Stats)
	if len(s) == 0 || string(s) == "null" {
		s = []byte("{}")
	}
	if !json.Valid(s) {
		return "", "", fmt.Errorf("record run of collection %q: stats are not valid JSON: %.40q", r.Collection, s)
	}
	a := r.Args
	if a == nil {
		a = []string{}
	}
	b, err := json.Marshal(a)
	if err != nil {
		return "", "", fmt.Errorf("record run of collection %q: %w", r.Collection, err)
	}
	return string(s), string(b), nil
}

// Check says what is missing from a collection a store is asked to open.
func (c *Collection) Check() error {
	if c.Name == "" {
		return errors.New("open collection: empty name: give the collection a name")
	}
	if c.Model == "" {
		return fmt.Errorf("open collection %q: empty model name", c.Name)
	}
	return nil
}

// PutDims returns the dimensions a collection of dims dimensions (0: none
// stored yet) has after storing entries: every vector must be non-empty and
// of one size, the collection's if it has one (a *DimensionError if not).
func PutDims(collection string, dims int, entries []Entry) (int, error) {
	for _, e := range entries {
		if len(e.Vector) == 0 {
			return 0, fmt.Errorf("store in collection %q: the vector of key %x is empty", collection, e.Key[:8])
		}
		if dims == 0 {
			dims = len(e.Vector)
		}
		if len(e.Vector) != dims {
			return 0, &DimensionError{Collection: collection, Have: len(e.Vector), Want: dims}
		}
	}
	return dims, nil
}
