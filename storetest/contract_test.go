package storetest

import (
	"slices"
	"testing"

	"github.com/salvoembed/salvo"
)

// bareStore has only salvo.Store's methods.
type bareStore struct{ salvo.Store }

// withDocs adds DocReader.
type withDocs struct {
	bareStore
	salvo.DocReader
}

// A store without the required parts is named as such: Run's first test
// fails with this list.
func TestMissing(t *testing.T) {
	all := []string{"salvo.DocReader", "salvo.CacheReader", "salvo.RunLedger", "salvo.Describer"}
	if got := Missing(bareStore{}); !slices.Equal(got, all) {
		t.Errorf("Missing(a bare Store) = %v, want %v", got, all)
	}
	if got := Missing(withDocs{}); !slices.Equal(got, all[1:]) {
		t.Errorf("Missing(a Store with Docs) = %v, want %v", got, all[1:])
	}
}
