package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// firstLines returns the first n lines of a sample data file, for seeding
// fuzz corpora.
func firstLines(f *testing.F, dir, file string, n int) []byte {
	f.Helper()
	data, err := os.ReadFile(filepath.Join(dataDir, dir, file))
	require.NoError(f, err)
	var out []byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	for i := 0; i < n && sc.Scan(); i++ {
		out = append(out, sc.Bytes()...)
		out = append(out, '\n')
	}
	return out
}

// fuzzSchemas are the fixed schemas FuzzReader reads with: a small one
// with quotes, comments and an id, and the two shipped schemas.
func fuzzSchemas(f *testing.F) []*Schema {
	small := &Schema{
		Columns: []Column{
			{Name: "id", Type: Categorical},
			{Name: "x", Type: Numeric},
			{Name: "c", Type: Categorical},
			{Name: "y", Type: Categorical},
		},
		Target:          "y",
		Task:            BinaryClassification,
		PositiveLabel:   "1",
		ID:              "id",
		Header:          true,
		MissingValues:   []string{"", "NA"},
		CommentPrefix:   "#",
		LabelTrimSuffix: ".",
	}
	schemas := []*Schema{small}
	for _, dir := range []string{"abalone", "adult"} {
		s, err := Load(filepath.Join(dataDir, dir, "schema.json"))
		require.NoError(f, err)
		schemas = append(schemas, s)
	}
	return schemas
}

// FuzzReader reads arbitrary bytes with each of a few fixed schemas, with
// and without a header, with a 16-byte buffer and a small line limit so
// that short inputs reach every path. The reader must not panic, must
// terminate, and every record it returns must be consistent with the
// schema.
func FuzzReader(f *testing.F) {
	schemas := fuzzSchemas(f)
	f.Add(firstLines(f, "abalone", "abalone.csv", 4), uint8(1), true, false)
	f.Add(firstLines(f, "adult", "adult.train.csv", 3), uint8(2), false, false)
	f.Add(firstLines(f, "adult", "adult.test.csv", 3), uint8(2), false, true)
	f.Add([]byte("id,x,c,y\r\n\"a,\"\"b\"\"\",1.5,NA,1.\r\n# c\n\nb,,\"x\",0\n"), uint8(0), true, false)
	f.Add([]byte("\xef\xbb\xbfx,id,c\n1,a,b\n2,\"b\n"), uint8(0), true, true)
	f.Add([]byte("a,1e999,c,1\nb,NaN,\xff,1\n"), uint8(0), false, true)
	f.Add([]byte("id,x,c,y\na,1,b,\nb,2,c,oops\n"), uint8(0x80), true, false)
	f.Fuzz(func(t *testing.T, data []byte, which uint8, header, targetOptional bool) {
		s := schemas[int(which)%len(schemas)].clone()
		s.Header = header
		// The top bit of which asks to ignore the target, so that corpus
		// entries from before IgnoreTarget keep their meaning.
		opt := Options{TargetOptional: targetOptional, IgnoreTarget: which&0x80 != 0, MaxLineBytes: 64}
		r, err := newReader(bytes.NewReader(data), "f.csv", s, opt, 16)
		if err != nil {
			assert.NotContains(t, err.Error(), "\n")
			return
		}
		target := s.TargetIndex()
		lastLine := 0
		// Every call consumes at least one line, so this bounds the loop.
		for calls := 0; calls <= bytes.Count(data, []byte("\n"))+1; calls++ {
			rec, err := r.Read()
			if err == io.EOF {
				return
			}
			var rowErr *RowError
			if err != nil {
				require.ErrorAs(t, err, &rowErr, "only a *RowError can come from an in-memory reader")
				require.NotContains(t, err.Error(), "\n", "an error must fit on one line")
				require.Greater(t, rowErr.Line, lastLine)
				lastLine = rowErr.Line
				continue
			}
			require.Greater(t, rec.Line, lastLine, "line numbers must increase")
			lastLine = rec.Line
			require.Len(t, rec.Raw, len(s.Columns))
			require.Len(t, rec.Num, len(s.Columns))
			require.Len(t, rec.Missing, len(s.Columns))
			for i, c := range s.Columns {
				raw := rec.Raw[i]
				if raw == nil {
					require.True(t, i == target && (!r.HasTarget() || opt.IgnoreTarget), "only an absent or ignored target may have nil Raw")
					require.True(t, rec.Missing[i])
					continue
				}
				require.LessOrEqual(t, len(raw), opt.MaxLineBytes)
				require.Equal(t, isIn(string(raw), s.MissingValues), rec.Missing[i], "Missing[%d] for %q", i, raw)
				switch {
				case c.Type == Categorical:
					require.True(t, utf8.Valid(raw))
					require.Zero(t, rec.Num[i])
				case rec.Missing[i]:
					require.True(t, math.IsNaN(rec.Num[i]))
				default:
					v, err := ParseNumber(raw)
					require.NoError(t, err)
					require.Equal(t, v, rec.Num[i])
				}
			}
			switch {
			case !r.HasTarget() || opt.IgnoreTarget:
				require.True(t, math.IsNaN(rec.Label))
			case s.Task == BinaryClassification:
				want := 0.0
				if strings.TrimSuffix(string(rec.Raw[target]), s.LabelTrimSuffix) == s.PositiveLabel {
					want = 1
				}
				require.Equal(t, want, rec.Label)
			default:
				require.False(t, math.IsNaN(rec.Label) || math.IsInf(rec.Label, 0))
			}
		}
		t.Fatal("Read did not reach io.EOF")
	})
}

func isIn(v string, list []string) bool {
	for _, m := range list {
		if v == m {
			return true
		}
	}
	return false
}

// FuzzParseSchema parses arbitrary bytes as a schema. Parse must not
// panic, and a schema it accepts must survive json.Marshal and Parse
// unchanged, with the same fingerprint.
func FuzzParseSchema(f *testing.F) {
	for _, dir := range []string{"abalone", "adult"} {
		data, err := os.ReadFile(filepath.Join(dataDir, dir, "schema.json"))
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte(`{"columns":[{"name":"a","type":"numeric"},{"name":"b","type":"categorical"}],"target":"b","task":"binary_classification","positiveLabel":"y","id":"","header":false,"separator":"\t","missingValues":["NA",""],"commentPrefix":"#","labelTrimSuffix":"."}`))
	f.Add([]byte(`{"columns":[{"name":"a","type":"numeric","name":"b"}],"Target":"a"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			require.Nil(t, s)
			require.True(t, strings.HasPrefix(err.Error(), "schema: "), err.Error())
			return
		}
		require.NoError(t, s.Validate())
		out, err := json.Marshal(s)
		require.NoError(t, err)
		again, err := Parse(out)
		require.NoError(t, err, "re-parsing %s", out)
		require.Equal(t, s, again)
		require.Equal(t, s.Fingerprint(), again.Fingerprint())
	})
}

// FuzzParseNumber checks ParseNumber against strconv.ParseFloat on
// arbitrary input: the same value for finite decimals, an error for the
// rest.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"0.455", "-1.5e-3", "+.5", "5.", "1e400", "NaN", "0x1p-2", "1_000", "9007199254740993", "0.30000000000000004", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkSameAsStrconv(t, s)
		if _, err := ParseNumber([]byte(s)); err != nil {
			require.NotContains(t, err.Error(), "\n", "an error must fit on one line")
		}
	})
}
