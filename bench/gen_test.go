package main

import (
	"bytes"
	"encoding/csv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func loadAbalone(t *testing.T) (*Schema, *Source) {
	t.Helper()
	schema, err := ReadSchema(filepath.Join("..", "data", "abalone", "schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := LoadSource(filepath.Join("..", "data", "abalone", "abalone.csv"), schema)
	if err != nil {
		t.Fatal(err)
	}
	return schema, src
}

func TestGenerateSeeded(t *testing.T) {
	schema, src := loadAbalone(t)
	gen := func(seed uint64) []byte {
		var b bytes.Buffer
		if err := src.Generate(&b, 5000, rand.New(rand.NewPCG(seed, 0))); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a, b := gen(7), gen(7)
	if !bytes.Equal(a, b) {
		t.Fatal("same seed, different output")
	}
	if bytes.Equal(a, gen(8)) {
		t.Fatal("different seeds, same output")
	}
	recs, err := csv.NewReader(bytes.NewReader(a)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5001 {
		t.Fatalf("%d lines, want a header and 5000 rows", len(recs))
	}
	for i, r := range recs {
		if len(r) != len(schema.Columns) {
			t.Fatalf("line %d: %d fields, schema has %d columns", i+1, len(r), len(schema.Columns))
		}
	}
	for i, col := range schema.Columns {
		if col.Name != schema.Target {
			continue
		}
		for _, r := range recs[1:] {
			if _, err := strconv.Atoi(r[i]); err != nil {
				t.Fatalf("target %q is not an integer", r[i])
			}
		}
	}
}

func TestPrepareCaches(t *testing.T) {
	_, src := loadAbalone(t)
	dir := t.TempDir()
	d, err := src.Prepare(dir, 1000, 0.15, 3)
	if err != nil {
		t.Fatal(err)
	}
	if d.PoolRows != 850 || d.TestRows != 150 || countRows(d.Pool) != 850 || countRows(d.Test) != 150 {
		t.Fatalf("rows: pool %d (file %d), test %d (file %d)", d.PoolRows, countRows(d.Pool), d.TestRows, countRows(d.Test))
	}
	first, err := os.ReadFile(d.Pool)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(d.Pool)
	if _, err := src.Prepare(dir, 1000, 0.15, 3); err != nil {
		t.Fatal(err)
	}
	again, _ := os.Stat(d.Pool)
	if !again.ModTime().Equal(info.ModTime()) {
		t.Error("cached data set was regenerated")
	}
	if err := os.Truncate(d.Pool, int64(len(first)/2)); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Prepare(dir, 1000, 0.15, 3); err != nil {
		t.Fatal(err)
	}
	regen, err := os.ReadFile(d.Pool)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(regen, first) {
		t.Error("regenerated data set differs from the first")
	}
}

func TestMedian(t *testing.T) {
	m := Median([]Sample{{Wall: 3, MaxRSSKB: 10}, {Wall: 1, MaxRSSKB: 30}, {Wall: 2, MaxRSSKB: 20}})
	if m.Wall != 2 || m.MaxRSSKB != 20 {
		t.Fatalf("median %+v", m)
	}
}
