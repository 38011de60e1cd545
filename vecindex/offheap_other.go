//go:build !unix

package vecindex

// int8s returns n zeroed int8s (on the heap where no anonymous mapping is
// at hand).
func int8s(n int, _ *quantized) []int8 { return make([]int8, n) }
