//go:build !amd64 || purego

package vecindex

// dotsInt8 sets out[i] to the dot product of q with row i of rows.
func dotsInt8(q []int16, rows []int8, stride int, out []int32) { dotsGo(q, rows, stride, out) }
