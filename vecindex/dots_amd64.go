//go:build amd64 && !purego

package vecindex

import "golang.org/x/sys/cpu"

var useAVX2 = cpu.X86.HasAVX2

// dotsInt8 sets out[i] to the dot product of q with row i of rows; rows
// hold len(out) rows of stride int8s, stride a multiple of 32, q has stride
// values (int8 values widened to int16, see widen).
func dotsInt8(q []int16, rows []int8, stride int, out []int32) {
	if len(out) == 0 {
		return
	}
	if len(q) != stride || len(rows) < len(out)*stride || stride%32 != 0 {
		panic("vecindex: dotsInt8 with mismatched lengths")
	}
	if useAVX2 {
		dotsInt8AVX2(&q[0], &rows[0], stride, len(out), &out[0])
		return
	}
	dotsGo(q, rows, stride, out)
}

//go:noescape
func dotsInt8AVX2(q *int16, rows *int8, stride, n int, out *int32)
