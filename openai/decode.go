package openai

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/salvoembed/salvo/internal/base/f32le"
	"github.com/salvoembed/salvo/internal/base/jsonscan"
)

// item is one element of an answer's "data", before its vector is decoded.
type item struct {
	Index    int
	HasIndex bool
	Kind     byte      // 'f': Floats, 's': Base64, 0: no usable embedding
	Floats   []float32 // the embedding as JSON numbers; with 's', decoded already
	Base64   []byte    // the embedding as base64; may point into the body
}

// list is the part of an embeddings answer salvo uses.
type list struct {
	Data         []item
	HasData      bool
	PromptTokens int
}

// decodeList reads an answer to n texts: {"data":[{"embedding":...,
// "index":i}],"usage":{"prompt_tokens":n}}. It gives what encoding/json
// gives (but null elements become NaN, see jsonscan.Float32); a fast path
// reads the usual answer and hands anything unusual to encoding/json.
func decodeList(body []byte, n int) (*list, error) {
	if l, ok := decodeListFast(body, n); ok {
		return l, nil
	}
	return decodeListJSON(body)
}

func decodeListJSON(body []byte) (*list, error) {
	var w struct {
		Data []struct {
			Embedding json.RawMessage `json:"embedding"`
			Index     *int            `json:"index"`
		} `json:"data"`
		Usage struct {
			PromptTokens int `json:"prompt_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, err
	}
	l := &list{HasData: w.Data != nil, PromptTokens: w.Usage.PromptTokens}
	if w.Data != nil {
		l.Data = make([]item, len(w.Data))
	}
	for i, d := range w.Data {
		it := &l.Data[i]
		if d.Index != nil {
			it.Index, it.HasIndex = *d.Index, true
		}
		if len(d.Embedding) == 0 {
			continue
		}
		switch d.Embedding[0] {
		case '"':
			var s string
			if err := json.Unmarshal(d.Embedding, &s); err != nil {
				return nil, err
			}
			it.Kind, it.Base64 = 's', []byte(s)
		case '[':
			var v []jsonscan.Float32
			if err := json.Unmarshal(d.Embedding, &v); err != nil {
				return nil, err
			}
			it.Kind, it.Floats = 'f', jsonscan.Float32s(v)
		}
	}
	return l, nil
}

var (
	listFields = []string{"data", "usage"}
	itemFields = []string{"embedding", "index"}
)

// decodeListFast is decodeList's fast path. Base64 vectors of the standard
// alphabet, with no escapes, are decoded as they are read, n of them into
// one allocation (see vectors).
func decodeListFast(body []byte, n int) (*list, bool) {
	s := jsonscan.NewScanner(body)
	l := &list{}
	slab := &slab{n: n}
	usage := false
	ok := s.Object(func(key []byte) bool {
		switch string(key) {
		case "data":
			if l.HasData {
				return false
			}
			l.HasData = true
			return items(s, l, slab)
		case "usage":
			if usage {
				return false
			}
			usage = true
			return s.Object(func(key []byte) bool {
				if string(key) == "prompt_tokens" {
					v, ok := s.Int()
					l.PromptTokens = int(v)
					return ok && int64(l.PromptTokens) == v
				}
				return !jsonscan.MatchesFold(key, "prompt_tokens") && s.Skip()
			})
		}
		return !jsonscan.MatchesFold(key, listFields...) && s.Skip()
	})
	if !ok || !s.End() {
		return nil, false
	}
	return l, true
}

func items(s *jsonscan.Scanner, l *list, slab *slab) bool {
	l.Data = []item{}
	dim := 0 // length of the last vector of numbers, to size the next
	return s.Array(func() bool {
		var it item
		ok := s.Object(func(key []byte) bool {
			switch string(key) {
			case "embedding":
				if it.Kind != 0 {
					return false
				}
				switch s.Peek() {
				case '"':
					if v, b, ok := plainBase64(s, slab); ok {
						it.Kind, it.Base64, it.Floats = 's', b, v
						return true
					}
					b, ok := s.String()
					it.Kind, it.Base64 = 's', b
					return ok
				case '[':
					v, ok := s.Floats(make([]float32, 0, dim))
					dim = len(v)
					it.Kind, it.Floats = 'f', v
					return ok
				}
				return false
			case "index":
				v, ok := s.Int()
				it.Index, it.HasIndex = int(v), true
				return ok && int64(it.Index) == v
			}
			return !jsonscan.MatchesFold(key, itemFields...) && s.Skip()
		})
		if ok {
			l.Data = append(l.Data, it)
		}
		return ok
	})
}

// vectors puts the vectors in input order, checking that there is one for
// each of n inputs. The base64 vectors are decoded into one allocation for
// the whole answer; each vector's capacity is its length, so appending to
// one cannot overwrite the next.
func (l *list) vectors(n int) ([][]float32, error) {
	if !l.HasData {
		return nil, errors.New(`no "data" in the answer`)
	}
	if len(l.Data) != n {
		return nil, fmt.Errorf("%d vectors for %d texts", len(l.Data), n)
	}
	positional := true
	room, b64 := 0, false // floats the base64 vectors can take
	for _, it := range l.Data {
		positional = positional && !it.HasIndex
		if it.Kind == 's' && it.Floats == nil {
			room, b64 = room+base64Floats(it.Base64), true
		}
	}
	var slab []float32
	if b64 {
		slab = make([]float32, room) // not nil even if empty: no vector is nil
	}
	out := make([][]float32, n)
	for i, it := range l.Data {
		at := it.Index
		switch {
		case positional:
			at = i
		case !it.HasIndex:
			return nil, fmt.Errorf("item %d has no index while others have one", i)
		case at < 0 || at >= n:
			return nil, fmt.Errorf("index %d out of range for %d texts", at, n)
		case out[at] != nil:
			return nil, fmt.Errorf("index %d given twice", at)
		}
		switch it.Kind {
		case 'f':
			out[at] = it.Floats
		case 's':
			if it.Floats != nil { // decoded as it was read
				out[at] = it.Floats
				break
			}
			v, err := decodeBase64(slab[:base64Floats(it.Base64)], it.Base64)
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i, err)
			}
			out[at], slab = v, slab[len(v):]
		default:
			return nil, fmt.Errorf("item %d has no embedding (want a list of numbers or base64)", i)
		}
	}
	return out, nil
}

// base64Encoding is the encoding of a base64 embedding: padded or not.
func base64Encoding(s []byte) *base64.Encoding {
	if len(s)%4 != 0 {
		return base64.RawStdEncoding
	}
	return base64.StdEncoding
}

// base64Floats is the room decodeBase64 needs for s, in float32s.
func base64Floats(s []byte) int {
	return (base64Encoding(s).DecodedLen(len(s)) + 3) / 4
}

// decodeBase64 reads little-endian float32s from base64, padded or not,
// into out (of base64Floats(s) values), straight into its memory where the
// CPU is little-endian. It returns the start of out that holds them.
func decodeBase64(out []float32, s []byte) ([]float32, error) {
	enc := base64Encoding(s)
	buf := f32le.Bytes(out) // out's own memory where the CPU is little-endian
	m, err := decodeBase64Into(enc, buf, s)
	if err != nil {
		return nil, fmt.Errorf("embedding is not base64: %w", err)
	}
	if m%4 != 0 {
		return nil, fmt.Errorf("base64 embedding has %d bytes, not a whole number of float32s", m)
	}
	out = out[: m/4 : m/4]
	if !f32le.Native {
		f32le.Decode(out, buf)
	}
	return out, nil
}

// slab hands out the memory of the vectors decodeListFast decodes, several
// in one allocation: n vectors in all, in allocations of up to slabBytes.
type slab struct {
	n    int       // vectors not handed out yet
	free []float32 // room left in the current allocation
}

// slabBytes bounds one allocation of vectors: Go's largest small object.
// Larger ones come from fresh pages more often (a page fault per 4 KiB),
// which costs more than the allocations saved.
const slabBytes = 32 << 10

// take returns room for a vector of k floats, its capacity its length, so
// that appending to one vector cannot overwrite the next.
func (sl *slab) take(k int) []float32 {
	if k > len(sl.free) {
		sl.free = make([]float32, k*max(1, min(sl.n, slabBytes/4/max(k, 1))))
	}
	sl.n--
	v := sl.free[:k:k]
	sl.free = sl.free[k:]
	return v
}

// plainBase64 decodes the string at s when it is base64 of the standard
// alphabet (padded or not) with no escapes, and moves s past it: it returns
// the vector and the string's bytes, a view into the document. Otherwise it
// returns false and leaves s where it was.
//
// The decoding checks the string too: between the opening quote and the
// next one, only the alphabet and padding decode, and those are a JSON
// string that stands for itself. The base64 decoder's one leniency, line
// breaks (which JSON does not allow raw in a string), is refused here.
func plainBase64(s *jsonscan.Scanner, sl *slab) ([]float32, []byte, bool) {
	rest := s.Unread()
	if len(rest) == 0 || rest[0] != '"' {
		return nil, nil, false
	}
	end := bytes.IndexByte(rest[1:], '"')
	if end < 0 {
		return nil, nil, false
	}
	src := rest[1 : 1+end]
	out := sl.take(base64Floats(src))
	buf := f32le.Bytes(out) // out's own memory where the CPU is little-endian
	n, ok := decodeQuanta(buf, src)
	if !ok {
		return nil, nil, false
	}
	tail := src[n/6*8:]
	if bytes.IndexByte(tail, '\n') >= 0 || bytes.IndexByte(tail, '\r') >= 0 {
		return nil, nil, false
	}
	m, err := base64Encoding(src).Decode(buf[n:], tail)
	if err != nil || (n+m)%4 != 0 {
		return nil, nil, false
	}
	out = out[: (n+m)/4 : (n+m)/4]
	if !f32le.Native {
		f32le.Decode(out, buf)
	}
	s.Advance(end + 2)
	return out, src, true
}
