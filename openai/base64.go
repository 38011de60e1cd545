package openai

import (
	"encoding/base64"
	"encoding/binary"
)

// The standard alphabet's 6-bit values, placed where the bytes they make
// fall in a little-endian word: a quantum of four characters c0..c3 decodes
// to the low three bytes of b64d0[c0] | b64d1[c1] | b64d2[c2] | b64d3[c3].
// A byte outside the alphabet sets bits above them.
var b64d0, b64d1, b64d2, b64d3 = func() (d0, d1, d2, d3 [256]uint32) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range 256 {
		d0[i], d1[i], d2[i], d3[i] = b64Bad, b64Bad, b64Bad, b64Bad
	}
	for v, c := range []byte(alphabet) {
		u := uint32(v)
		d0[c] = u << 2
		d1[c] = u>>4 | (u&0xf)<<12
		d2[c] = (u>>2)<<8 | (u&3)<<22
		d3[c] = u << 16
	}
	return
}()

const b64Bad = 0xff000000

// decodeBase64Into decodes src into dst as enc.Decode does (enc is
// base64.StdEncoding or base64.RawStdEncoding), with the same result and
// error: whole quanta of the standard alphabet are decoded eight
// characters at a time, and enc decodes the end (padding) and any input
// that holds something else (line breaks, a bad byte) from the start.
func decodeBase64Into(enc *base64.Encoding, dst, src []byte) (int, error) {
	n, ok := decodeQuanta(dst, src)
	if !ok {
		return enc.Decode(dst, src)
	}
	m, err := enc.Decode(dst[n:], src[n/6*8:])
	if err != nil {
		return enc.Decode(dst, src) // the error's offset counts from the start
	}
	return n + m, nil
}

// decodeQuanta decodes src eight characters at a time into dst while more
// than eight are left and dst has room for an 8-byte write; it returns the
// bytes written (6 per 8 characters), or false at a byte outside the
// alphabet.
func decodeQuanta(dst, src []byte) (int, bool) {
	n := 0
	for len(src) > 8 && len(dst) >= 8 {
		x := b64d0[src[0]] | b64d1[src[1]] | b64d2[src[2]] | b64d3[src[3]]
		y := b64d0[src[4]] | b64d1[src[5]] | b64d2[src[6]] | b64d3[src[7]]
		if (x|y)&b64Bad != 0 {
			return 0, false
		}
		binary.LittleEndian.PutUint64(dst, uint64(x)|uint64(y)<<24)
		src, dst, n = src[8:], dst[6:], n+6
	}
	return n, true
}
