package dataset

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"testing"
)

// benchRows is the number of rows in each benchmark file.
const benchRows = 200_000

// abaloneLike returns a header and n rows shaped like the abalone file: a
// categorical column, seven decimals with up to four places and an integer
// target.
func abaloneLike(n int) (*Schema, []byte) {
	s := &Schema{Header: true, Target: "t", Task: Regression}
	s.Columns = append(s.Columns, Column{Name: "c", Type: Categorical})
	for i := range 7 {
		s.Columns = append(s.Columns, Column{Name: "x" + strconv.Itoa(i), Type: Numeric})
	}
	s.Columns = append(s.Columns, Column{Name: "t", Type: Numeric})

	rng := rand.New(rand.NewPCG(3, 4))
	var buf bytes.Buffer
	buf.WriteString("c,x0,x1,x2,x3,x4,x5,x6,t\n")
	for range n {
		buf.WriteString([]string{"M", "F", "I"}[rng.IntN(3)])
		for range 7 {
			buf.WriteByte(',')
			buf.WriteString(strconv.FormatFloat(float64(rng.IntN(30000))/10000, 'f', -1, 64))
		}
		fmt.Fprintf(&buf, ",%d\n", 1+rng.IntN(29))
	}
	return s, buf.Bytes()
}

// adultLike returns n header-less rows shaped like the UCI Adult files:
// ", " separators, "?" for missing values and a binary label.
func adultLike(n int) (*Schema, []byte) {
	s := &Schema{
		Target: "y", Task: BinaryClassification, PositiveLabel: ">50K", LabelTrimSuffix: ".",
		Separator: ", ", MissingValues: []string{"", "?"},
	}
	var line bytes.Buffer
	rng := rand.New(rand.NewPCG(5, 6))
	words := []string{"Private", "Self-emp-not-inc", "Bachelors", "HS-grad", "Married-civ-spouse", "Exec-managerial", "?", "United-States"}
	for i := range 14 {
		typ := Categorical
		if i%2 == 0 {
			typ = Numeric
		}
		s.Columns = append(s.Columns, Column{Name: "f" + strconv.Itoa(i), Type: typ})
	}
	s.Columns = append(s.Columns, Column{Name: "y", Type: Categorical})
	for range n {
		for i := range 14 {
			if i%2 == 0 {
				line.WriteString(strconv.Itoa(rng.IntN(300000)))
			} else {
				line.WriteString(words[rng.IntN(len(words))])
			}
			line.WriteString(", ")
		}
		line.WriteString([]string{"<=50K", ">50K", "<=50K.", ">50K."}[rng.IntN(4)])
		line.WriteByte('\n')
	}
	return s, line.Bytes()
}

func benchmarkRead(b *testing.B, s *Schema, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), "bench.csv", s, Options{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
}

// BenchmarkRead reads 200k abalone-like rows from memory.
func BenchmarkRead(b *testing.B) {
	s, data := abaloneLike(benchRows)
	benchmarkRead(b, s, data)
}

// BenchmarkReadAdult reads 200k Adult-like rows, with a two-byte separator
// and a binary label, from memory.
func BenchmarkReadAdult(b *testing.B) {
	s, data := adultLike(benchRows)
	benchmarkRead(b, s, data)
}

func BenchmarkParseNumber(b *testing.B) {
	for _, in := range []string{"0.455", "15", "0.30000000000000004", "1.5e-7"} {
		b.Run(in, func(b *testing.B) {
			v := []byte(in)
			for b.Loop() {
				if _, reason := parseNumber(v); reason != "" {
					b.Fatal(reason)
				}
			}
		})
	}
}
