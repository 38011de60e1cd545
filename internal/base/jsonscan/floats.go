package jsonscan

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"unsafe"
)

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// NaN is what a null element of a vector decodes to.
var NaN = float32(math.NaN())

// Float32 is a vector element as decoded by encoding/json, for the slow
// path that must agree with [Scanner.Floats]: a number becomes
// strconv.ParseFloat(s, 32), as for a float32, and null becomes NaN.
// Servers that cannot write a NaN in JSON (llama.cpp, TEI) write null;
// decoding it as encoding/json does, to 0, would let a broken vector pass
// as a valid one.
type Float32 float32

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float32) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = Float32(NaN)
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 32)
	if err != nil {
		return fmt.Errorf("vector element %.40s: %w", b, err)
	}
	*f = Float32(v)
	return nil
}

// Float32s turns decoded vector elements into a []float32 without copying.
func Float32s(v []Float32) []float32 {
	if v == nil {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.SliceData(v)), len(v))
}

// Floats reads an array of numbers and appends them, rounded to float32, to
// dst. Each value is exactly what strconv.ParseFloat(s, 32) gives, which is
// what encoding/json stores in a float32; null gives NaN (see [Float32]).
// It returns false for anything else: a non-number element, a number out
// of float32 range.
func (s *Scanner) Floats(dst []float32) ([]float32, bool) {
	if !s.Consume('[') {
		return dst, false
	}
	if s.Consume(']') {
		return dst, true
	}
	for {
		if s.Peek() == 'n' {
			if !s.Literal("null") {
				return dst, false
			}
			dst = append(dst, NaN)
			more, ok := s.Next(']')
			if !ok || !more {
				return dst, ok
			}
			continue
		}
		f, ok := s.Float32()
		if !ok {
			return dst, false
		}
		dst = append(dst, f)
		// Inline the common case of a comma right after the number.
		if s.i < len(s.b) && s.b[s.i] == ',' {
			s.i++
			continue
		}
		more, ok := s.Next(']')
		if !ok || !more {
			return dst, ok
		}
	}
}

// Float32 reads one number rounded to float32, as encoding/json would.
func (s *Scanner) Float32() (float32, bool) {
	s.ws()
	start := s.i
	mant, exp, ok := s.number()
	if !ok {
		return 0, false
	}
	neg := s.b[start] == '-'
	if exp != slowExp {
		if mant == 0 {
			if neg {
				return float32(math.Copysign(0, -1)), true
			}
			return 0, true
		}
		// Clinger's fast path: with an exact mantissa and power of ten, one
		// multiplication or division gives the correctly rounded float64.
		// Rounding that again to float32 is exact unless the float64 lands
		// on a midpoint between two float32s (low 29 bits 1000...0); values
		// here lie far inside float32's normal range, where that test holds.
		if mant <= 1<<53 && exp >= -22 && exp <= 22 {
			f := float64(mant)
			if exp >= 0 {
				f *= pow10[exp]
			} else {
				f /= pow10[-exp]
			}
			if math.Float64bits(f)&(1<<29-1) != 1<<28 {
				if neg {
					f = -f
				}
				return float32(f), true
			}
		}
	}
	text := s.b[start:s.i]
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(text), len(text)), 32)
	if err != nil {
		return 0, false
	}
	return float32(f), true
}

// digits adds the decimal digits from b[i] on to mant while it has room
// for another one, and returns the index after them; over is true when a
// digit did not fit. Leading zeros of a fraction add nothing to mant: they
// only move the exponent.
func digits(b []byte, i int, mant uint64) (next int, m uint64, over bool) {
	const room = (math.MaxUint64 - 9) / 10
	// Eight digits at a time while mant has room for them: vectors' numbers
	// have about ten.
	for i+8 <= len(b) && mant < 1e11 {
		x := binary.LittleEndian.Uint64(b[i:])
		if x&0xF0F0F0F0F0F0F0F0|(x+0x0606060606060606)&0xF0F0F0F0F0F0F0F0>>4 != 0x3333333333333333 {
			break // not eight digits
		}
		// The first digit is the low byte: pair, then quad, then all.
		x = (x & 0x0F0F0F0F0F0F0F0F) * (10<<8 + 1) >> 8
		x = (x & 0x00FF00FF00FF00FF) * (100<<16 + 1) >> 16
		x = (x & 0x0000FFFF0000FFFF) * (10000<<32 + 1) >> 32
		mant = mant*1e8 + x
		i += 8
	}
	for ; i < len(b); i++ {
		c := b[i] - '0'
		if c > 9 {
			break
		}
		if mant > room {
			over = true
		}
		mant = mant*10 + uint64(c)
	}
	return i, mant, over
}

// slowExp marks a number whose digits did not fit the fast path.
const slowExp = math.MinInt32

// number reads a JSON number, checking its grammar, and returns its
// significant digits as an integer and its decimal exponent, or exp ==
// slowExp when they do not fit (more than 19 digits, huge exponent).
func (s *Scanner) number() (mant uint64, exp int, ok bool) {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	slow := false
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i, mant, slow = digits(b, i, mant)
	default:
		return 0, 0, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		var over bool
		i, mant, over = digits(b, i, mant)
		slow = slow || over
		if i == start {
			return 0, 0, false
		}
		exp = start - i
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		start := i
		e := 0
		for ; i < len(b); i++ {
			c := b[i] - '0'
			if c > 9 {
				break
			}
			if e < 1e6 {
				e = e*10 + int(c)
			}
		}
		if i == start {
			return 0, 0, false
		}
		if e >= 1e6 {
			slow = true
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	s.i = i
	if slow {
		exp = slowExp
	}
	return mant, exp, true
}
