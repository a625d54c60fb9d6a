package dataset

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
		wantErr string
	}{
		{"0", 0, ""},
		{"15", 15, ""},
		{"0.455", 0.455, ""},
		{"-12.5", -12.5, ""},
		{"+.5", 0.5, ""},
		{"5.", 5, ""},
		{"1e3", 1000, ""},
		{"2.5E-3", 0.0025, ""},
		{"0.30000000000000004", 0.30000000000000004, ""},
		{"123456789012345678901234567890", 123456789012345678901234567890, ""},
		{"1e-400", 0, ""},
		{"0x1p4", 0, `"0x1p4" is not a number`},
		{"0x1p-2", 0, `"0x1p-2" is not a number`},
		{"0X10", 0, `"0X10" is not a number`},
		{"1_000", 0, `"1_000" is not a number`},
		{"0x1_0p0", 0, `"0x1_0p0" is not a number`},
		{"1e+", 0, `"1e+" is not a number`},
		{"", 0, `"" is not a number`},
		{"abc", 0, `"abc" is not a number`},
		{" 1", 0, `" 1" is not a number`},
		{"1 ", 0, `"1 " is not a number`},
		{"1,5", 0, `"1,5" is not a number`},
		{"--1", 0, `"--1" is not a number`},
		{".", 0, `"." is not a number`},
		{"1e", 0, `"1e" is not a number`},
		{"NaN", 0, `"NaN" is not a finite number; NaN and Inf are not allowed (list them in missingValues if they mean missing)`},
		{"-Inf", 0, `"-Inf" is not a finite number; NaN and Inf are not allowed (list them in missingValues if they mean missing)`},
		{"infinity", 0, `"infinity" is not a finite number; NaN and Inf are not allowed (list them in missingValues if they mean missing)`},
		{"1e400", 0, `"1e400" is out of range for a 64-bit float`},
		{"-1e309", 0, `"-1e309" is out of range for a 64-bit float`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseNumber([]byte(tc.in))
			if tc.wantErr != "" {
				assert.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseNumberNegativeZero(t *testing.T) {
	for _, in := range []string{"-0", "-0.0", "-0e5", "-.0"} {
		got, err := ParseNumber([]byte(in))
		require.NoError(t, err, in)
		assert.True(t, math.Signbit(got) && got == 0, "%q = %v, want -0", in, got)
	}
}

// checkSameAsStrconv fails t unless parseNumber(in) returns exactly what
// strconv.ParseFloat returns for finite decimal numbers, and an error for
// the rest, including Go's hexadecimal and underscore forms.
func checkSameAsStrconv(t testing.TB, in string) {
	t.Helper()
	want, werr := strconv.ParseFloat(in, 64)
	got, reason := parseNumber([]byte(in))
	if werr != nil || math.IsNaN(want) || math.IsInf(want, 0) || strings.ContainsAny(in, "xX_") {
		if reason == "" {
			t.Fatalf("parseNumber(%q) = %v, want an error (strconv: %v, %v)", in, got, want, werr)
		}
		return
	}
	if reason != "" || math.Float64bits(got) != math.Float64bits(want) {
		t.Fatalf("parseNumber(%q) = %v (%x), %q; want %v (%x)", in, got, math.Float64bits(got), reason, want, math.Float64bits(want))
	}
}

// TestParseNumberMatchesStrconv is a property test: for random decimals of
// every shape the fast path handles, and for random float64 values printed
// in every format, the result equals strconv.ParseFloat bit for bit.
func TestParseNumberMatchesStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	digits := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(byte('0' + rng.IntN(10)))
		}
		return b.String()
	}
	signs := []string{"", "", "-", "+"}
	fast := 0
	const n = 200_000
	for range n {
		// A decimal with up to 20 integer and 20 fraction digits and an
		// optional exponent, which covers both sides of every limit of the
		// fast path (2^53, 10^22, exponent digits).
		var b strings.Builder
		b.WriteString(signs[rng.IntN(len(signs))])
		b.WriteString(digits(rng.IntN(21)))
		if rng.IntN(3) > 0 {
			b.WriteByte('.')
			b.WriteString(digits(rng.IntN(21)))
		}
		if rng.IntN(4) == 0 {
			b.WriteString([]string{"e", "E"}[rng.IntN(2)])
			b.WriteString(signs[rng.IntN(len(signs))])
			b.WriteString(digits(rng.IntN(4)))
		}
		in := b.String()
		checkSameAsStrconv(t, in)
		if _, ok := parseSimple([]byte(in)); ok {
			fast++
		}

		// A random float64 printed as a program would write it.
		f := math.Float64frombits(rng.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		if rng.IntN(2) == 0 {
			f = float64(float32(f)) // fewer digits, more fast-path hits
		}
		format := []byte{'e', 'E', 'f', 'g'}[rng.IntN(4)]
		prec := rng.IntN(20) - 1
		if format == 'f' && math.Abs(f) > 1e30 {
			format = 'g'
		}
		checkSameAsStrconv(t, strconv.FormatFloat(f, format, prec, 64))
	}
	// The property is only worth something if the fast path ran often.
	assert.Greater(t, fast, n/4, "fast path taken %d times out of %d", fast, n)
}

func TestParseNumberDoesNotAllocate(t *testing.T) {
	for _, in := range []string{"0.455", "-1.25e-3", "0.30000000000000004", "123456789012345678901234567890"} {
		b := []byte(in)
		allocs := testing.AllocsPerRun(100, func() {
			if _, reason := parseNumber(b); reason != "" {
				panic(reason)
			}
		})
		assert.Zero(t, allocs, "parseNumber(%q)", in)
	}
}
