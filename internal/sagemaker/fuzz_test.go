package sagemaker

import (
	"encoding/json"
	"testing"
)

func FuzzParseHyperparameters(f *testing.F) {
	for _, seed := range []string{
		`{"max_depth": "5", "eta": "0.2", "num_round": "50"}`,
		`{}`, `null`, `[]`, `{"a": 1}`, `{"a": "x", "a": "y"}`, `{"a": "\u00e9"}`, `{"a"`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseHyperparameters(data, "hyperparameters.json")
		if err != nil {
			return
		}
		// Whatever was accepted must be what SageMaker could have written:
		// re-encoding and parsing it again gives the same set.
		again, err := json.Marshal(map[string]string(h))
		if err != nil {
			t.Fatalf("marshal %v: %v", h, err)
		}
		h2, err := ParseHyperparameters(again, "again.json")
		if err != nil {
			t.Fatalf("ParseHyperparameters(%s) = %v after accepting %q", again, err, data)
		}
		if len(h2) != len(h) {
			t.Fatalf("round trip of %q: %d keys, then %d", data, len(h), len(h2))
		}
		for k, v := range h {
			if h2[k] != v {
				t.Fatalf("round trip of %q: key %q = %q, then %q", data, k, v, h2[k])
			}
			// Accessors never panic on any value.
			h.Int(k, 0)
			h.Float(k, 0)
			h.Bool(k, false)
		}
	})
}
