package modelio

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"hash/crc32"
	"os"
	"strings"
	"testing"
)

// tarOnly packs entries into an uncompressed tar archive.
func tarOnly(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz, err := gzip.NewReader(bytes.NewReader(tarGz(t, entries...)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := buf.ReadFrom(gz); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// storedGzip wraps data in a gzip stream of stored (uncompressed) deflate
// blocks. Compressing inside the fuzz target with compress/gzip instead
// makes the fuzzer's coverage flaky and stalls it.
func storedGzip(data []byte) []byte {
	out := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff} // RFC 1952 header, no name, no time
	crc, size := crc32.ChecksumIEEE(data), uint32(len(data))
	for first := true; first || len(data) > 0; first = false {
		n := min(len(data), 0xffff)
		final := byte(0)
		if n == len(data) {
			final = 1
		}
		out = append(out, final)
		out = binary.LittleEndian.AppendUint16(out, uint16(n))
		out = binary.LittleEndian.AppendUint16(out, ^uint16(n))
		out = append(out, data[:n]...)
		data = data[n:]
	}
	out = binary.LittleEndian.AppendUint32(out, crc)
	return binary.LittleEndian.AppendUint32(out, size)
}

// FuzzReadArchive feeds arbitrary archives to the model.tar.gz reader and
// the parser after it: whatever the input, they return a model or an
// error, never panic, and keep nothing but the model's files, within their
// limits. The input is a tar archive that the target gzips (so that
// mutations reach the tar layer and the reader's own checks), or with gz
// set the bytes of the .tar.gz file itself.
func FuzzReadArchive(f *testing.F) {
	// A valid model of one tree of three nodes, small enough for the
	// fuzzer to mutate quickly: package gbt's fuzz seed.
	raw, err := os.ReadFile("../gbt/testdata/tiny-model.json")
	if err != nil {
		f.Fatal(err)
	}
	tinyModel := strings.TrimSpace(string(raw))
	schema := `{"columns": [{"name": "a", "type": "numeric"}, {"name": "b", "type": "numeric"}, {"name": "y", "type": "numeric"}], "target": "y", "task": "regression"}`
	seeds := [][]entry{
		{{name: ModelFile, data: tinyModel}, {name: MetadataFile, data: `{"num_trees": 1}`}, {name: SchemaFile, data: schema}},
		{{name: "./", flag: tar.TypeDir}, {name: "./" + ModelFile, data: tinyModel}},
		{{name: ModelFile, data: tinyModel}, {name: "x/../" + ModelFile, data: "{}"}},
		{{name: "model/", flag: tar.TypeDir}, {name: "model/" + ModelFile, data: tinyModel}},
		{{name: ModelFile, flag: tar.TypeSymlink, link: "/etc/passwd"}},
		{{name: BuiltinModelFile, data: tinyModel}, {name: PreprocessorFile, data: "{}"}, {name: SchemaFile, data: schema}},
		{{name: "notes.txt", data: "hello"}, {name: ModelFile, data: `{"learner": {}, "version": [1, 7, 4]}`}},
	}
	seeds = append(seeds, []entry{{name: UBJSONModelFile, data: string(xgboostFixture(f, "binary-2trees-model.ubj"))}, {name: SchemaFile, data: schema}})
	for _, s := range seeds {
		f.Add(tarOnly(f, s...), false)
	}
	valid := tarGz(f, seeds[0]...)
	f.Add(valid, true)
	f.Add(valid[:len(valid)/2], true)
	f.Add([]byte("plain text"), true)
	f.Add([]byte{0x1f, 0x8b}, true)
	f.Fuzz(func(t *testing.T, data []byte, gz bool) {
		if !gz {
			data = storedGzip(data)
		}
		files, err := readArchive(bytes.NewReader(data))
		if err != nil {
			return
		}
		// In a fixed order: a map's random order would make coverage flaky.
		var total int64
		kept := 0
		for _, name := range fileNames {
			content, ok := files[name]
			if !ok {
				continue
			}
			kept++
			if limit := fileLimits[name]; int64(len(content)) > limit {
				t.Fatalf("readArchive kept %d bytes of %s; limit %d", len(content), name, limit)
			}
			total += int64(len(content))
		}
		if kept != len(files) {
			t.Fatalf("readArchive kept %d files, of which only %d are model files", len(files), kept)
		}
		if total > MaxArchiveBytes {
			t.Fatalf("readArchive kept %d bytes; limit %d", total, int64(MaxArchiveBytes))
		}
		_, _ = parse(files)
	})
}

func TestStoredGzip(t *testing.T) {
	for _, n := range []int{0, 1, 0xffff, 0x10000, 200000} {
		data := bytes.Repeat([]byte("ab"), n)[:n]
		gz, err := gzip.NewReader(bytes.NewReader(storedGzip(data)))
		if err != nil {
			t.Fatalf("storedGzip(%d bytes): %v", n, err)
		}
		var got bytes.Buffer
		if _, err := got.ReadFrom(gz); err != nil || !bytes.Equal(got.Bytes(), data) {
			t.Fatalf("storedGzip(%d bytes) reads back %d bytes, %v; want the input", n, got.Len(), err)
		}
	}
}
