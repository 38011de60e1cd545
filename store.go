package salvo

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

// Key identifies embedded content: sha256 over the model, its digest, the
// requested dimensions, the truncation setting and the text. Two records with
// the same Key have the same vector, whatever their IDs or collections.
type Key [32]byte

// KeySpec is everything besides the text that decides a vector.
type KeySpec struct {
	Model      string
	Digest     string // the model's digest where the server reports it
	Dimensions int    // requested output dimensions, 0 for the model's own
	Truncate   bool
}

// Key returns the content key of text under s.
func (s KeySpec) Key(text string) Key {
	bp := keyBufs.Get().(*[]byte)
	b := appendKeyField((*bp)[:0], s.Model)
	b = appendKeyField(b, s.Digest)
	b = binary.LittleEndian.AppendUint64(b, uint64(s.Dimensions))
	if s.Truncate {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = appendKeyField(b, text)
	k := Key(sha256.Sum256(b))
	if cap(b) <= 64<<10 { // a long document's buffer is not kept
		*bp = b
		keyBufs.Put(bp)
	}
	return k
}

// keyBufs holds the buffers Key hashes its fields from, one string of
// bytes, so that keying a text allocates nothing.
var keyBufs = sync.Pool{New: func() any { return new([]byte) }}

// appendKeyField appends the length of f, 8 bytes little-endian, then f.
func appendKeyField(b []byte, f string) []byte {
	return append(binary.LittleEndian.AppendUint64(b, uint64(len(f))), f...)
}

// Collection is a named set of records embedded with one model.
type Collection struct {
	Name     string `json:"name"`
	Model    string `json:"model"`
	Dims     int    `json:"dims"` // 0 until the first vector is stored
	Template string `json:"template,omitempty"`
	Count    int    `json:"count"` // records stored

	// How the documents were embedded, so that a query is embedded the
	// same way. A store replaces them when OpenCollection is given a
	// non-empty Endpoint (the caller says how it embeds), and keeps them
	// otherwise.
	Prefix     string `json:"prefix,omitempty"`     // the document prefix, e.g. "search_document: "
	Endpoint   string `json:"endpoint,omitempty"`   // the API used: /api/embed, /v1/embeddings, /api/embeddings
	Dimensions int    `json:"dimensions,omitempty"` // requested output dimensions, 0 for the model's own
	Digest     string `json:"digest,omitempty"`     // the model's digest where the server reported it
	Keep       string `json:"keep,omitempty"`       // the record fields kept with each item (Item.Fields), comma-separated
}

// Presence says what a store knows about an item.
type Presence uint8

const (
	// Missing: the content must be embedded.
	Missing Presence = iota
	// Cached: the content's vector is in the cache (perhaps under another
	// ID or collection); storing the item costs no request.
	Cached
	// Stored: this ID is already stored in the collection with this content.
	Stored
)

// Item is a record's place in a collection: its ID and content key.
type Item struct {
	ID  string
	Key Key
	// Fields is a JSON object of the record fields the collection keeps
	// (Collection.Keep), so results can be shown without the input file;
	// nil keeps none. It is stored with the item, not in the cache.
	Fields []byte
	// Chunk is nil for a whole record; for a piece of a long record it
	// says which (see [Chunk]).
	Chunk *Chunk
}

// Chunk places an item in a piece of its record's rendered text: a long
// record is embedded as several pieces, one vector each, all stored under
// the record's ID. An [Item] whose Chunk is nil is a whole record.
type Chunk struct {
	Index int `json:"index"` // the piece's number, from 0
	Count int `json:"count"` // how many pieces the record has
	Start int `json:"start"` // byte offsets of the piece in the rendered text: [Start, End)
	End   int `json:"end"`
}

// Entry is a vector in the content cache.
type Entry struct {
	Key    Key
	Vector []float32
	Text   string
}

// Store keeps collections, their items and the content cache. Put is atomic:
// all of its entries and items are stored, or none. It is the part of the
// store's contract the engine uses; a salvo store implements the whole of
// it, [FullStore].
//
// Implementations are safe for concurrent use, though salvo's engine writes
// from a single goroutine.
type Store interface {
	// OpenCollection creates the collection when it does not exist, and
	// otherwise checks that c.Model matches (a *ModelMismatchError if not).
	// It returns the stored collection (Dims is set once vectors exist).
	OpenCollection(ctx context.Context, c Collection) (*Collection, error)
	// Lookup fills out[i] with the presence of items[i] in the collection.
	Lookup(ctx context.Context, collection string, items []Item, out []Presence) error
	// Put stores entries in the cache and items in the collection in one
	// transaction. Items may refer to entries of this call or to keys
	// already cached.
	Put(ctx context.Context, collection string, entries []Entry, items []Item) error
	// Collections lists every collection with its item count.
	Collections(ctx context.Context) ([]Collection, error)
	// Each calls fn for every item of the collection in ID order.
	Each(ctx context.Context, collection string, fn func(id string, v []float32) error) error
	Close() error
}

// ModelMismatchError refuses to mix models in one collection.
type ModelMismatchError struct {
	Collection, Have, Want string
}

func (e *ModelMismatchError) Error() string {
	return fmt.Sprintf("collection %q holds vectors of model %q, not %q", e.Collection, e.Have, e.Want)
}

// DimensionError says a vector's length does not match its collection.
type DimensionError struct {
	Collection string
	Have, Want int
}

func (e *DimensionError) Error() string {
	return fmt.Sprintf("collection %q holds %d-dimensional vectors, got %d", e.Collection, e.Want, e.Have)
}

// ErrNoCollection is returned for a collection that does not exist.
var ErrNoCollection = errors.New("no such collection")
