package fixturemodel

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
)

// The safetensors format: an 8-byte little-endian header length N, N bytes of
// JSON header {"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
// "__metadata__": {string: string}}, then the raw tensor data. Offsets are
// relative to the first byte after the header.

// maxHeaderLen bounds the JSON header accepted by ReadSafetensorsHeader, as the
// reference implementation does.
const maxHeaderLen = 100 << 20

// TensorInfo describes one tensor in a safetensors header.
type TensorInfo struct {
	DType       string   `json:"dtype"`
	Shape       []int64  `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// TensorSpec is a tensor to write: its name, shape and F32 contents, the
// latter produced on demand so that large tensors need not all be held in
// memory at once.
type TensorSpec struct {
	Name  string
	Shape []int64
	// Fill writes the tensor's elements, in row-major order, into dst, which
	// has exactly NumElements(Shape) elements.
	Fill func(dst []float32)
}

// NumElements returns the number of elements of a tensor of the given shape.
func NumElements(shape []int64) int64 {
	n := int64(1)
	for _, d := range shape {
		n *= d
	}
	return n
}

// SafetensorsHeader builds the JSON header for F32 tensors laid out one after
// another in the given order. The result is padded with spaces to a multiple
// of 8 bytes so that the data that follows is aligned.
func SafetensorsHeader(tensors []TensorSpec, metadata map[string]string) ([]byte, error) {
	header := make(map[string]any, len(tensors)+1)
	var offset int64
	for _, t := range tensors {
		if t.Name == "" || t.Name == "__metadata__" {
			return nil, fmt.Errorf("invalid tensor name %q", t.Name)
		}
		if _, dup := header[t.Name]; dup {
			return nil, fmt.Errorf("duplicate tensor name %q", t.Name)
		}
		for _, d := range t.Shape {
			if d < 0 {
				return nil, fmt.Errorf("tensor %q: negative dimension in shape %v", t.Name, t.Shape)
			}
		}
		size := NumElements(t.Shape) * 4
		shape := t.Shape
		if shape == nil {
			shape = []int64{}
		}
		header[t.Name] = TensorInfo{DType: "F32", Shape: shape, DataOffsets: [2]int64{offset, offset + size}}
		offset += size
	}
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	b, err := json.Marshal(header) // map keys are sorted: deterministic
	if err != nil {
		return nil, err
	}
	if pad := (8 - len(b)%8) % 8; pad > 0 {
		b = append(b, bytes.Repeat([]byte{' '}, pad)...)
	}
	return b, nil
}

// WriteSafetensors writes F32 tensors in safetensors format, data in the
// order given.
func WriteSafetensors(w io.Writer, tensors []TensorSpec, metadata map[string]string) error {
	header, err := SafetensorsHeader(tensors, metadata)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
	if _, err := bw.Write(n[:]); err != nil {
		return err
	}
	if _, err := bw.Write(header); err != nil {
		return err
	}
	var buf []float32
	var raw []byte
	for _, t := range tensors {
		count := int(NumElements(t.Shape))
		if cap(buf) < count {
			buf = make([]float32, count)
			raw = make([]byte, 4*count)
		}
		buf = buf[:count]
		clear(buf)
		if t.Fill != nil {
			t.Fill(buf)
		}
		out := raw[:4*count]
		for i, v := range buf {
			binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(v))
		}
		if _, err := bw.Write(out); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// dtypeSize gives the element size of the safetensors dtypes we know.
var dtypeSize = map[string]int64{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4,
	"I64": 8, "U64": 8, "F64": 8,
}

// Safetensors is a parsed safetensors header.
type Safetensors struct {
	// HeaderLen is the length of the JSON header; tensor data starts at
	// byte 8+HeaderLen of the file.
	HeaderLen int64
	Tensors   map[string]TensorInfo
	Metadata  map[string]string
}

// DataStart returns the file offset of the first byte of tensor data.
func (s *Safetensors) DataStart() int64 { return 8 + s.HeaderLen }

// Names returns the tensor names in data order.
func (s *Safetensors) Names() []string {
	names := make([]string, 0, len(s.Tensors))
	for n := range s.Tensors {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := s.Tensors[names[i]], s.Tensors[names[j]]
		if a.DataOffsets[0] != b.DataOffsets[0] {
			return a.DataOffsets[0] < b.DataOffsets[0]
		}
		return names[i] < names[j]
	})
	return names
}

// ReadSafetensorsHeader parses and validates the header of a safetensors
// stream: known dtypes, sizes that match shapes, and data regions that are
// contiguous, non-overlapping and cover [0, total). dataLen, when not
// negative, is the number of bytes after the header, which must equal that
// total.
func ReadSafetensorsHeader(r io.Reader, dataLen int64) (*Safetensors, error) {
	var n [8]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, fmt.Errorf("safetensors: reading header length: %w", err)
	}
	hlen := binary.LittleEndian.Uint64(n[:])
	if hlen < 2 || hlen > maxHeaderLen {
		return nil, fmt.Errorf("safetensors: header length %d out of range", hlen)
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, fmt.Errorf("safetensors: reading header: %w", err)
	}
	if hb[0] != '{' {
		return nil, errors.New("safetensors: header is not a JSON object")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hb, &raw); err != nil {
		return nil, fmt.Errorf("safetensors: header: %w", err)
	}
	st := &Safetensors{HeaderLen: int64(hlen), Tensors: make(map[string]TensorInfo, len(raw))}
	type region struct{ begin, end int64 }
	var regions []region
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &st.Metadata); err != nil {
				return nil, fmt.Errorf("safetensors: __metadata__: %w", err)
			}
			continue
		}
		var ti TensorInfo
		dec := json.NewDecoder(bytes.NewReader(msg))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ti); err != nil {
			return nil, fmt.Errorf("safetensors: tensor %q: %w", name, err)
		}
		size, ok := dtypeSize[ti.DType]
		if !ok {
			return nil, fmt.Errorf("safetensors: tensor %q: unknown dtype %q", name, ti.DType)
		}
		count := int64(1)
		for _, d := range ti.Shape {
			if d < 0 {
				return nil, fmt.Errorf("safetensors: tensor %q: negative dimension", name)
			}
			if d != 0 && count > math.MaxInt64/8/d {
				return nil, fmt.Errorf("safetensors: tensor %q: shape too large", name)
			}
			count *= d
		}
		b, e := ti.DataOffsets[0], ti.DataOffsets[1]
		if b < 0 || e < b {
			return nil, fmt.Errorf("safetensors: tensor %q: invalid data offsets [%d, %d]", name, b, e)
		}
		if e-b != count*size {
			return nil, fmt.Errorf("safetensors: tensor %q: %d bytes for shape %v of %s", name, e-b, ti.Shape, ti.DType)
		}
		st.Tensors[name] = ti
		regions = append(regions, region{b, e})
	}
	slices.SortFunc(regions, func(a, b region) int {
		if a.begin != b.begin {
			if a.begin < b.begin {
				return -1
			}
			return 1
		}
		if a.end < b.end {
			return -1
		} else if a.end > b.end {
			return 1
		}
		return 0
	})
	var end int64
	for _, rg := range regions {
		if rg.begin != end {
			return nil, fmt.Errorf("safetensors: data regions are not contiguous at offset %d", end)
		}
		end = rg.end
	}
	if dataLen >= 0 && end != dataLen {
		return nil, fmt.Errorf("safetensors: tensors cover %d bytes, file has %d", end, dataLen)
	}
	return st, nil
}

// ReadF32 reads the named F32 tensor from a whole safetensors file held in
// memory.
func (s *Safetensors) ReadF32(file []byte, name string) ([]float32, error) {
	ti, ok := s.Tensors[name]
	if !ok {
		return nil, fmt.Errorf("safetensors: no tensor %q", name)
	}
	if ti.DType != "F32" {
		return nil, fmt.Errorf("safetensors: tensor %q is %s, not F32", name, ti.DType)
	}
	b, e := s.DataStart()+ti.DataOffsets[0], s.DataStart()+ti.DataOffsets[1]
	if e > int64(len(file)) {
		return nil, fmt.Errorf("safetensors: tensor %q extends past the end of the file", name)
	}
	out := make([]float32, (e-b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(file[b+int64(4*i):]))
	}
	return out, nil
}
