package dataset

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unsafe"
)

// Reasons a numeric field is rejected, phrased to follow the quoted value in
// an error message.
const (
	reasonNotNumber = "is not a number"
	reasonNotFinite = "is not a finite number; NaN and Inf are not allowed (list them in missingValues if they mean missing)"
	reasonRange     = "is out of range for a 64-bit float"
)

// ParseNumber parses b as a 64-bit float. It accepts decimal numbers in
// plain or scientific notation, [+-]digits[.digits][(e|E)[+-]digits] with
// digits on at least one side of the point, which is what XGBoost's and
// pandas' CSV readers take as numbers, and returns the value
// strconv.ParseFloat returns. Go's own extensions (hexadecimal floats such
// as "0x1p-2", underscores such as "1_000"), NaN, Inf, values that
// overflow to infinity and surrounding spaces are errors. Plain decimals
// such as "-12.5" or "3e-4" are parsed without allocating.
func ParseNumber(b []byte) (float64, error) {
	v, reason := parseNumber(b)
	if reason != "" {
		return 0, errors.New(quoteValue(string(b)) + " " + reason)
	}
	return v, nil
}

// parseNumber is ParseNumber for the reader's hot path: instead of an error
// it returns the reason b is not a finite number, or "" if it is one.
func parseNumber(b []byte) (float64, string) {
	if v, ok := parseSimple(b); ok {
		return v, ""
	}
	if !isDecimal(b) && !isNonFiniteWord(b) {
		return 0, reasonNotNumber
	}
	// strconv.ParseFloat does not keep its argument (its errors hold a
	// copy), so a string that shares b's memory is safe here and saves an
	// allocation per field for numbers the fast path leaves to strconv.
	v, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(b), len(b)), 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, reasonRange
	case err != nil:
		return 0, reasonNotNumber
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, reasonNotFinite
	}
	return v, ""
}

// exactPow10 holds the powers of ten that a float64 represents exactly.
var exactPow10 = [...]float64{
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
}

// parseSimple parses a decimal [+-]digits[.digits][(e|E)[+-]digits] whose
// digits, taken as an integer m, satisfy m <= 2^53, and whose decimal
// exponent e (after moving the point to the end) satisfies |e| <= 22. Then
// m and 10^|e| are both exact float64 values, so the single IEEE
// multiplication or division below is correctly rounded and equals what
// strconv.ParseFloat returns (Clinger's fast path, which strconv also takes).
// It returns ok == false for anything else, leaving it to strconv.
func parseSimple(b []byte) (v float64, ok bool) {
	const maxMantissa = 1 << 53
	i := 0
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		i = 1
	}
	var m uint64
	digits := 0
	exp := 0
	for ; i < len(b); i++ {
		c := b[i] - '0'
		if c > 9 {
			break
		}
		m = m*10 + uint64(c)
		if m > maxMantissa {
			return 0, false
		}
		digits++
	}
	if i < len(b) && b[i] == '.' {
		for i++; i < len(b); i++ {
			c := b[i] - '0'
			if c > 9 {
				break
			}
			m = m*10 + uint64(c)
			if m > maxMantissa {
				return 0, false
			}
			digits++
			exp--
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '-' || b[i] == '+') {
			eneg = b[i] == '-'
			i++
		}
		e, ed := 0, 0
		for ; i < len(b); i++ {
			c := b[i] - '0'
			if c > 9 {
				break
			}
			if ed == 3 {
				return 0, false
			}
			e = e*10 + int(c)
			ed++
		}
		if ed == 0 {
			return 0, false
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if i != len(b) {
		return 0, false
	}
	v = float64(m) // exact: m <= 2^53
	if m != 0 {
		switch {
		case exp < -len(exactPow10)+1 || exp > len(exactPow10)-1:
			return 0, false
		case exp < 0:
			v /= exactPow10[-exp]
		case exp > 0:
			v *= exactPow10[exp]
		}
	}
	if neg {
		v = -v
	}
	return v, true
}

// isDecimal reports whether b is [+-]digits[.digits][(e|E)[+-]digits]
// with at least one digit before or after the point: the decimal syntax
// of C's strtod and Python's float, without their hexadecimal and word
// forms, and without Go's underscores.
func isDecimal(b []byte) bool {
	i := 0
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		digits++
	}
	if i < len(b) && b[i] == '.' {
		for i++; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		}
		if i == start {
			return false
		}
	}
	return i == len(b)
}

// isNonFiniteWord reports whether b spells NaN or an infinity as strconv
// reads them (any case, an optional sign), so that such a value is
// rejected for not being finite rather than for not being a number.
func isNonFiniteWord(b []byte) bool {
	w := b
	if len(w) > 0 && (w[0] == '+' || w[0] == '-') {
		w = w[1:]
	}
	for _, word := range []string{"nan", "inf", "infinity"} {
		if strings.EqualFold(string(w), word) {
			return true
		}
	}
	return false
}
