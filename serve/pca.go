package serve

import (
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// pcaIterations is how many rounds of subspace iteration find the
// directions: the two leading directions of embedding data converge well
// within it.
const pcaIterations = 24

// pcaSample is how many evenly spaced rows the directions are computed
// from; every row is then projected on them. The directions of 2,000 rows
// are those of the whole for a picture, at a tenth of the cost.
const pcaSample = 2000

// project2D returns the coordinates of the n rows of x (dims float32s each)
// on their two principal components. The mean is removed, then subspace
// iteration with gonum finds the two leading eigenvectors of the
// covariance of a sample of rows without forming it (each round is two
// passes over the sample), and every row is projected on them.
func project2D(x []float32, n, dims int) [][2]float64 {
	if n == 0 {
		return nil
	}
	mean := make([]float64, dims)
	for i := range n {
		for j, v := range x[i*dims : (i+1)*dims] {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	m := min(n, pcaSample)
	data := make([]float64, m*dims)
	for s := range m {
		row := x[(s*n/m)*dims:]
		for j := range dims {
			data[s*dims+j] = float64(row[j]) - mean[j]
		}
	}
	a := mat.NewDense(m, dims, data)
	k := min(2, dims)
	r := rand.New(rand.NewPCG(1, 2)) // the same map on every load
	v0 := make([]float64, dims*k)
	for i := range v0 {
		v0[i] = r.NormFloat64()
	}
	v := mat.NewDense(dims, k, v0)
	var y mat.Dense
	for range pcaIterations {
		y.Mul(a, v)       // m × k
		v.Mul(a.T(), &y)  // dims × k: the covariance times v, up to a factor
		orthonormalise(v) // Gram-Schmidt, so the columns do not collapse onto the first
	}
	dirs := make([][]float64, k)
	for c := range k {
		dirs[c] = mat.Col(nil, c, v)
	}
	out := make([][2]float64, n)
	for i := range n {
		row := x[i*dims : (i+1)*dims]
		for c, d := range dirs {
			var s float64
			for j, val := range row {
				s += (float64(val) - mean[j]) * d[j]
			}
			out[i][c] = s
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
