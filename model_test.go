package salvo

import "testing"

func TestCanonicalModel(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"nomic-embed-text", "nomic-embed-text"},
		{"nomic-embed-text:latest", "nomic-embed-text"},
		{"nomic-embed-text:LATEST", "nomic-embed-text"},
		{"nomic-embed-text:v1.5", "nomic-embed-text:v1.5"},
		{"localhost:5000/x", "localhost:5000/x"},
		{"localhost:5000/x:latest", "localhost:5000/x"},
		{"latest", "latest"},
	} {
		if got := CanonicalModel(tc.in); got != tc.want {
			t.Errorf("CanonicalModel(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if !SameModel("a:latest", "a") || SameModel("a:v2", "a") {
		t.Error("SameModel")
	}
}
