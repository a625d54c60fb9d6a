package modelio

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// entry is one member of a test archive.
type entry struct {
	name string
	data string
	flag byte // tar.TypeReg when zero
	link string
}

// fixtureModel returns the bytes of an XGBoost fixture model.
func fixtureModel(t testing.TB) string {
	t.Helper()
	model, err := os.ReadFile(filepath.Join("..", "gbt", "testdata", "xgboost-fixture", "regression-model.json"))
	require.NoError(t, err)
	return string(model)
}

// tarGz packs entries, in order, into a gzipped tar archive.
func tarGz(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		flag := e.flag
		if flag == 0 {
			flag = tar.TypeReg
		}
		hdr := &tar.Header{Name: e.name, Typeflag: flag, Linkname: e.link, Mode: 0o644}
		if flag == tar.TypeReg {
			hdr.Size = int64(len(e.data))
		}
		require.NoError(t, tw.WriteHeader(hdr))
		_, err := tw.Write([]byte(e.data))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, gz.Close())
	return buf.Bytes()
}

// zeroBomb returns a valid model.tar.gz holding one entry of size bytes of
// zeros (a multiple of 64 MiB) and then the fixture model: a few megabytes
// that expand to size bytes. Gzip members may follow each other, so one
// compressed block of zeros is repeated instead of compressing them all.
func zeroBomb(t testing.TB, name string, size int64) []byte {
	t.Helper()
	require.Zero(t, size%zeroBlock)
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	zeros := zeroMember()
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: size}))
	var out bytes.Buffer
	out.Write(member(hdr.Bytes()))
	for range size / zeroBlock {
		out.Write(zeros)
	}
	// The rest of the archive: the model after the bomb, and the end.
	var rest bytes.Buffer
	tw = tar.NewWriter(&rest)
	model := fixtureModel(t)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: ModelFile, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(model))}))
	_, err := tw.Write([]byte(model))
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	out.Write(member(rest.Bytes()))
	return out.Bytes()
}

// zeroBlock is the uncompressed size of zeroMember.
const zeroBlock = 64 << 20

// zeroMember is a gzip member holding zeroBlock zeros, made once.
var zeroMember = sync.OnceValue(func() []byte { return member(make([]byte, zeroBlock)) })

// member compresses data into one gzip member.
func member(data []byte) []byte {
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := gz.Write(data); err != nil {
		panic(err) // writes to a bytes.Buffer do not fail
	}
	if err := gz.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// loadArchive writes archive as a model.tar.gz and loads it.
func loadArchive(t testing.TB, archive []byte) (*Bundle, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), ArchiveFile)
	require.NoError(t, os.WriteFile(p, archive, 0o644))
	return Load(p)
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestLoadArchiveLayouts(t *testing.T) {
	model := fixtureModel(t)
	meta := `{"num_trees": 50}`
	tests := []struct {
		name    string
		entries []entry
	}{
		{"top level", []entry{{name: ModelFile, data: model}, {name: MetadataFile, data: meta}}},
		// tar czf model.tar.gz -C model . writes "./" and "./model.json".
		{"tar -C dir .", []entry{{name: "./", flag: tar.TypeDir}, {name: "./" + ModelFile, data: model}, {name: "./" + MetadataFile, data: meta}}},
		{"other files beside the model", []entry{{name: "notes.txt", data: "hello"}, {name: "code/", flag: tar.TypeDir}, {name: "code/" + ModelFile, data: "not read"}, {name: ModelFile, data: model}, {name: MetadataFile, data: meta}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := loadArchive(t, tarGz(t, tt.entries...))
			require.NoError(t, err)
			assert.Equal(t, 50, b.Model.NumTrees())
			require.NotNil(t, b.Metadata)
			assert.Equal(t, 50, b.Metadata.NumTrees)
		})
	}
}

func TestLoadArchiveRejects(t *testing.T) {
	model := fixtureModel(t)
	many := []entry{{name: ModelFile, data: model}}
	for i := range MaxArchiveEntries {
		many = append(many, entry{name: fmt.Sprintf("f%04d", i)})
	}
	tests := []struct {
		name    string
		archive []byte
		want    string
	}{
		{"duplicate through ..", tarGz(t, entry{name: ModelFile, data: model}, entry{name: "x/../" + ModelFile, data: "{}"}),
			`model.tar.gz: entry "x/../model.json" is a second model.json (the first is entry "model.json"); valid: one entry per file`},
		{"duplicate through ./", tarGz(t, entry{name: ModelFile, data: model}, entry{name: "./" + ModelFile, data: "{}"}),
			`entry "./model.json" is a second model.json`},
		{"duplicate schema", tarGz(t, entry{name: ModelFile, data: model}, entry{name: SchemaFile, data: "{}"}, entry{name: "/" + SchemaFile, data: "{}"}),
			`entry "/schema.json" is a second schema.json`},
		{"model in a folder", tarGz(t, entry{name: "model/", flag: tar.TypeDir}, entry{name: "model/" + ModelFile, data: model}),
			"model.json is in folder model/ of the archive; SageMaker extracts the archive into /opt/ml/model, so pack the files at the top level, for example with \"tar czf model.tar.gz -C model .\""},
		{"built-in model in nested folders", tarGz(t, entry{name: "out/run-1/" + BuiltinModelFile, data: model}),
			"xgboost-model is in folder out/run-1/ of the archive; SageMaker extracts the archive into /opt/ml/model, so pack the files at the top level, for example with \"tar czf model.tar.gz -C out/run-1 .\""},
		{"model is a symlink", tarGz(t, entry{name: ModelFile, flag: tar.TypeSymlink, link: "/etc/passwd"}),
			`entry "model.json" is a symbolic link, not a regular file; valid: model.json itself`},
		{"too many entries", tarGz(t, many...),
			"model.tar.gz has more than 1000 entries (at entry \"f0999\"); valid: at most 1000"},
		{"schema over its limit", tarGz(t, entry{name: ModelFile, data: model}, entry{name: SchemaFile, data: string(make([]byte, MaxSmallFileBytes+1))}),
			"model.tar.gz: entry schema.json is 16777217 bytes; valid: at most 16777216 bytes (16 MiB)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadArchive(t, tt.archive)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestLoadArchiveBombs loads archives of a few megabytes that expand to 8
// GiB: each fails with the limit it breaks, before decompressing the
// entry, so allocating next to nothing.
func TestLoadArchiveBombs(t *testing.T) {
	const size = 8 << 30
	tests := []struct {
		name, entry, want string
	}{
		{"the model itself", ModelFile, "model.tar.gz: entry model.json is 8589934592 bytes; valid: at most 536870912 bytes (512 MiB)"},
		{"a file the model does not need", "checkpoint.bin", `model.tar.gz: entry "checkpoint.bin" (8589934592 bytes) brings the archive past 1073741824 bytes uncompressed; valid: at most 1073741824 bytes (1 GiB) in all`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			archive := zeroBomb(t, tt.entry, size)
			require.Less(t, len(archive), 16<<20, "the bomb is small")
			var err error
			n := allocated(func() { _, err = loadArchive(t, archive) })
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Less(t, n, uint64(8<<20), "bytes allocated to reject the bomb")
		})
	}
}

// TestLoadArchiveSkipsOtherEntries loads an archive with 64 MiB of zeros
// in a file the model does not need: it is skipped, never kept in memory.
func TestLoadArchiveSkipsOtherEntries(t *testing.T) {
	archive := zeroBomb(t, "checkpoint.bin", 64<<20)
	var b *Bundle
	var err error
	n := allocated(func() { b, err = loadArchive(t, archive) })
	require.NoError(t, err)
	assert.Equal(t, 50, b.Model.NumTrees())
	assert.Less(t, n, uint64(32<<20), "bytes allocated to load a 0.1 MB model past 64 MiB of other data")
}

func TestLoadDirectoryLimits(t *testing.T) {
	dir := fixtureDir(t, nil)
	// A sparse file: its size without its bytes on disk.
	f, err := os.Create(filepath.Join(dir, PreprocessorFile))
	require.NoError(t, err)
	require.NoError(t, f.Truncate(MaxPreprocessorFileBytes+1))
	require.NoError(t, f.Close())
	var loadErr error
	n := allocated(func() { _, loadErr = Load(dir) })
	require.Error(t, loadErr)
	assert.Contains(t, loadErr.Error(), "preprocessor.json is 67108865 bytes; valid: at most 67108864 bytes (64 MiB)")
	assert.Less(t, n, uint64(8<<20))
}

// TestLoadArchiveTruncatedClaim loads an archive whose model.json header
// claims 500 MiB, within the limit, but whose data ends after a few bytes:
// memory follows the bytes that arrive, not the claim.
func TestLoadArchiveTruncatedClaim(t *testing.T) {
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: ModelFile, Typeflag: tar.TypeReg, Mode: 0o644, Size: 500 << 20}))
	hdr.WriteString(`{"learner":`)
	archive := member(hdr.Bytes())
	var err error
	n := allocated(func() { _, err = loadArchive(t, archive) })
	assert.ErrorContains(t, err, "model.tar.gz is truncated or corrupted: model.json: unexpected EOF")
	assert.Less(t, n, uint64(8<<20), "bytes allocated for a claim the archive does not deliver")
}
