package serve

import (
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// pcaIterations is how many rounds of subspace iteration project: the two
// leading directions of embedding data converge well within it.
const pcaIterations = 24

// project2D returns the coordinates of the n rows of x (dims float32s each)
// on their two principal components: the mean is removed, then subspace
// iteration with gonum finds the top two eigenvectors of the covariance
// without forming it (each round is two passes over the data), which takes
// well under a second for 20,000 × 768.
func project2D(x []float32, n, dims int) [][2]float64 {
	if n == 0 {
		return nil
	}
	data := make([]float64, n*dims)
	mean := make([]float64, dims)
	for i := range n {
		for j := range dims {
			mean[j] += float64(x[i*dims+j])
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	for i := range n {
		for j := range dims {
			data[i*dims+j] = float64(x[i*dims+j]) - mean[j]
		}
	}
	a := mat.NewDense(n, dims, data)
	k := min(2, dims)
	r := rand.New(rand.NewPCG(1, 2)) // the same map on every load
	v0 := make([]float64, dims*k)
	for i := range v0 {
		v0[i] = r.NormFloat64()
	}
	v := mat.NewDense(dims, k, v0)
	var y mat.Dense
	for range pcaIterations {
		y.Mul(a, v)       // n × k
		v.Mul(a.T(), &y)  // dims × k: the covariance times v, up to a factor
		orthonormalise(v) // Gram-Schmidt, so the columns do not collapse onto the first
	}
	var p mat.Dense
	p.Mul(a, v)
	out := make([][2]float64, n)
	for i := range n {
		out[i][0] = p.At(i, 0)
		if k > 1 {
			out[i][1] = p.At(i, 1)
		}
	}
	return out
}

// orthonormalise makes the columns of v orthonormal, in order.
func orthonormalise(v *mat.Dense) {
	_, k := v.Dims()
	for c := range k {
		col := v.ColView(c).(*mat.VecDense)
		for p := range c {
			prev := v.ColView(p)
			col.AddScaledVec(col, -mat.Dot(col, prev), prev)
		}
		if n := mat.Norm(col, 2); n > 0 {
			col.ScaleVec(1/n, col)
		}
	}
}
