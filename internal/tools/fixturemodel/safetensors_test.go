package fixturemodel

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

func sampleTensors() []TensorSpec {
	seq := func(start float32) func([]float32) {
		return func(dst []float32) {
			for i := range dst {
				dst[i] = start + float32(i)
			}
		}
	}
	return []TensorSpec{
		{Name: "b.weight", Shape: []int64{2, 3}, Fill: seq(1)},
		{Name: "a.bias", Shape: []int64{3}, Fill: seq(-1)},
		{Name: "empty", Shape: []int64{0, 4}},
		{Name: "c", Shape: []int64{1, 1, 2}, Fill: seq(0.5)},
	}
}

func TestSafetensorsRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, sampleTensors(), map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	file := buf.Bytes()
	hlen := binary.LittleEndian.Uint64(file)
	if hlen%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", hlen)
	}
	st, err := ReadSafetensorsHeader(bytes.NewReader(file), int64(len(file))-8-int64(hlen))
	if err != nil {
		t.Fatal(err)
	}
	if st.HeaderLen != int64(hlen) {
		t.Errorf("HeaderLen = %d, want %d", st.HeaderLen, hlen)
	}
	if got := st.Metadata["format"]; got != "pt" {
		t.Errorf("metadata format = %q", got)
	}
	wantOrder := []string{"b.weight", "a.bias", "empty", "c"}
	if got := st.Names(); len(got) != len(wantOrder) {
		t.Fatalf("names = %v", got)
	} else {
		// "empty" has no data, so it shares its offset with "c"; ties sort by name.
		want := []string{"b.weight", "a.bias", "c", "empty"}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("names = %v, want %v", got, want)
			}
		}
	}
	for _, spec := range sampleTensors() {
		ti := st.Tensors[spec.Name]
		if ti.DType != "F32" {
			t.Errorf("%s dtype = %s", spec.Name, ti.DType)
		}
		if len(ti.Shape) != len(spec.Shape) {
			t.Errorf("%s shape = %v, want %v", spec.Name, ti.Shape, spec.Shape)
		}
		got, err := st.ReadF32(file, spec.Name)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]float32, NumElements(spec.Shape))
		if spec.Fill != nil {
			spec.Fill(want)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d values, want %d", spec.Name, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s[%d] = %v, want %v", spec.Name, i, got[i], want[i])
			}
		}
	}
}

func TestSafetensorsHeaderErrors(t *testing.T) {
	if _, err := SafetensorsHeader([]TensorSpec{{Name: "x", Shape: []int64{1}}, {Name: "x", Shape: []int64{1}}}, nil); err == nil {
		t.Error("duplicate names accepted")
	}
	if _, err := SafetensorsHeader([]TensorSpec{{Name: "__metadata__", Shape: []int64{1}}}, nil); err == nil {
		t.Error("__metadata__ accepted as a tensor name")
	}
	if _, err := SafetensorsHeader([]TensorSpec{{Name: "x", Shape: []int64{-1}}}, nil); err == nil {
		t.Error("negative dimension accepted")
	}

	file := func(header string, data int) []byte {
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
		b = append(b, header...)
		return append(b, make([]byte, data)...)
	}
	bad := map[string][]byte{
		"short":        {1, 2, 3},
		"huge length":  binary.LittleEndian.AppendUint64(nil, math.MaxUint64),
		"not object":   file(`[1,2]`, 0),
		"bad json":     file(`{"x":`, 0),
		"bad dtype":    file(`{"x":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}`, 4),
		"size":         file(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4),
		"gap":          file(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8),
		"overlap":      file(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 8),
		"data length":  file(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 8),
		"unknown key":  file(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}}`, 4),
		"negative dim": file(`{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}`, 0),
		"metadata":     file(`{"__metadata__":{"a":1}}`, 0),
	}
	for name, b := range bad {
		dataLen := int64(-1)
		if len(b) >= 8 {
			if h := binary.LittleEndian.Uint64(b); h < uint64(len(b)) {
				dataLen = int64(len(b)) - 8 - int64(h)
			}
		}
		if _, err := ReadSafetensorsHeader(bytes.NewReader(b), dataLen); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzReadSafetensorsHeader(f *testing.F) {
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, sampleTensors(), map[string]string{"format": "pt"}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 0, '{', '}'})
	f.Add(binary.LittleEndian.AppendUint64(nil, 60))
	f.Fuzz(func(t *testing.T, b []byte) {
		dataLen := int64(-1)
		if len(b) >= 8 {
			if h := binary.LittleEndian.Uint64(b); h <= uint64(len(b))-8 {
				dataLen = int64(len(b)) - 8 - int64(h)
			}
		}
		st, err := ReadSafetensorsHeader(bytes.NewReader(b), dataLen)
		if err != nil {
			return
		}
		// Whatever parses must describe data inside the file.
		var end int64
		for name, ti := range st.Tensors {
			if ti.DataOffsets[0] < 0 || ti.DataOffsets[1] < ti.DataOffsets[0] {
				t.Fatalf("%s: bad offsets %v", name, ti.DataOffsets)
			}
			end = max(end, ti.DataOffsets[1])
			if ti.DType == "F32" {
				if dataLen < 0 {
					continue
				}
				if _, err := st.ReadF32(b, name); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
		}
		if dataLen >= 0 && end != dataLen {
			t.Fatalf("tensors end at %d, data has %d bytes", end, dataLen)
		}
	})
}
