package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/salvoembed/salvo"
)

// normalizeEach is normalize as it was, checking every value on the way.
func normalizeEach(v []float32) error {
	var norm float64
	for _, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%w: the vector contains NaN or Inf", salvo.ErrInvalidResponse)
		}
		norm += f * f
	}
	if norm == 0 {
		return fmt.Errorf("%w: the vector is all zeros", salvo.ErrInvalidResponse)
	}
	if math.Abs(norm-1) > 1e-6 {
		inv := 1 / math.Sqrt(norm)
		for i := range v {
			v[i] = float32(float64(v[i]) * inv)
		}
	}
	return nil
}

// normalize gives the same vectors and errors as when it checked each
// value for NaN and Inf: the sum of squares tells.
func TestNormalizeChecksTheSum(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	specials := []float32{0, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32}
	for i := range 2000 {
		v := make([]float32, 1+r.IntN(1024))
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		if i%2 == 0 {
			for range 1 + r.IntN(3) {
				v[r.IntN(len(v))] = specials[r.IntN(len(specials))]
			}
		}
		if i%7 == 0 {
			clear(v)
		}
		got, want := append([]float32(nil), v...), append([]float32(nil), v...)
		gotErr, wantErr := normalize(got), normalizeEach(want)
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Fatalf("vector %d: error %v, want %v", i, gotErr, wantErr)
		}
		for j := range got {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("vector %d, value %d: %v, want %v", i, j, got[j], want[j])
			}
		}
	}
	if err := normalize([]float32{1, float32(math.Inf(1))}); err == nil {
		t.Fatal("a vector with Inf passes")
	}
	if err := normalize([]float32{math.MaxFloat32, math.MaxFloat32, -math.MaxFloat32}); err != nil {
		t.Fatalf("the largest finite values: %v", err)
	}
}

// BenchmarkNormalize checks and scales one 768-dimension vector.
func BenchmarkNormalize(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	v := make([]float32, 768)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	b.ReportAllocs()
	for b.Loop() {
		v[0] += 1 // not at unit length: scaled every time
		if err := normalize(v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNormalizeUnit checks one 768-dimension vector at unit length
// already, as servers answer them.
func BenchmarkNormalizeUnit(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	v := make([]float32, 768)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	if err := normalize(v); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := normalize(v); err != nil {
			b.Fatal(err)
		}
	}
}

// normalize leaves vectors near unit length exactly as normalizeEach does,
// on both sides of its 1e-6 threshold.
func TestNormalizeNearUnit(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for i := range 4000 {
		v := make([]float32, 1+r.IntN(1536))
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		normalizeEach(v) // unit length, or within rounding of it
		// Off by up to a few times the threshold, either way.
		scale := float32(1 + (r.Float64()-0.5)*4e-6)
		for j := range v {
			v[j] *= scale
		}
		got, want := append([]float32(nil), v...), append([]float32(nil), v...)
		gotErr, wantErr := normalize(got), normalizeEach(want)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("vector %d: error %v, want %v", i, gotErr, wantErr)
		}
		for j := range got {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("vector %d (scale %v), value %d: %v, want %v", i, scale, j, got[j], want[j])
			}
		}
	}
}
