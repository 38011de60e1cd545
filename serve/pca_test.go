package serve

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Points spread widely along one direction and less along another: the
// first coordinate follows the first, the second the other.
func TestProject2DFindsTheMainDirections(t *testing.T) {
	const n, dims = 2000, 64
	r := rand.New(rand.NewPCG(3, 4))
	a, b := make([]float64, n), make([]float64, n)
	x := make([]float32, n*dims)
	for i := range n {
		a[i], b[i] = r.NormFloat64(), r.NormFloat64()
		for j := range dims {
			v := 0.01 * r.NormFloat64()
			switch j {
			case 5:
				v += 10 * a[i]
			case 9:
				v += 3 * b[i]
			}
			x[i*dims+j] = float32(v + 1) // an offset: the mean must go
		}
	}
	xy := project2D(x, n, dims)
	px, py := make([]float64, n), make([]float64, n)
	for i := range xy {
		px[i], py[i] = xy[i][0], xy[i][1]
	}
	if c := math.Abs(corr(px, a)); c < 0.999 {
		t.Errorf("|corr(first coordinate, main direction)| = %.4f", c)
	}
	if c := math.Abs(corr(py, b)); c < 0.999 {
		t.Errorf("|corr(second coordinate, second direction)| = %.4f", c)
	}
}

func corr(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var sxy, sxx, syy float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
	}
	return sxy / math.Sqrt(sxx*syy)
}

// BenchmarkProject2D: the map of a full 20,000 × 768 sample.
func BenchmarkProject2D(b *testing.B) {
	const n, dims = MapPoints, 768
	r := rand.New(rand.NewPCG(1, 1))
	x := make([]float32, n*dims)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	for b.Loop() {
		project2D(x, n, dims)
	}
}
