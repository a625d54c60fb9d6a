package standin

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// Store keeps S3 objects as files: s3://bucket/key is Root/bucket/key.
//
// A prefix URI is read as a directory: s3://b/data names the object "data"
// itself, if there is one, and every object whose key starts with "data/",
// but not "data2/x". SageMaker matches raw string prefixes; the directory
// reading is what the pipeline's URIs mean and keeps a short prefix from
// silently pulling in a sibling's objects. A prefix ending in "/", or an
// empty key (s3://b or s3://b/), names everything below it.
//
// Keys map to paths one to one, so a key cannot be empty, end in "/", or
// have empty, "." or ".." segments; such URIs are rejected rather than
// allowed to name a file outside Root.
type Store struct {
	// Root is the directory holding one subdirectory per bucket.
	Root string
}

// object is an object under a prefix: its key, and its path relative to the
// prefix (its base name when the prefix names the object itself).
type object struct {
	key, rel string
}

// ParseS3URI splits s3://bucket/key into bucket and key. The key may be
// empty (a whole bucket). It rejects other schemes, invalid bucket names and
// keys with empty, "." or ".." segments.
func ParseS3URI(uri string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q is not an s3:// URI", uri)
	}
	bucket, key, _ = strings.Cut(rest, "/")
	if bucket == "" || bucket == "." || bucket == ".." || strings.ContainsAny(bucket, `\`) {
		return "", "", fmt.Errorf("%q: invalid bucket name %q", uri, bucket)
	}
	if strings.Contains(key, `\`) {
		return "", "", fmt.Errorf("%q: key contains a backslash", uri)
	}
	segs := strings.Split(strings.TrimSuffix(key, "/"), "/")
	if key == "" || key == "/" {
		segs = nil
	}
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return "", "", fmt.Errorf("%q: key has an empty, %q or %q segment", uri, ".", "..")
		}
	}
	return bucket, key, nil
}

// objectPath returns the file of the object an URI names exactly.
func (s *Store) objectPath(uri string) (string, error) {
	bucket, key, err := ParseS3URI(uri)
	if err != nil {
		return "", err
	}
	if key == "" || strings.HasSuffix(key, "/") {
		return "", fmt.Errorf("%q names a prefix, not an object", uri)
	}
	return filepath.Join(s.Root, bucket, filepath.FromSlash(key)), nil
}

// Put stores the contents of r as the object uri. The file appears at once
// (written aside, then renamed), so a concurrent reader never sees half an
// object.
func (s *Store) Put(uri string, r io.Reader) error {
	p, err := s.objectPath(uri)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return fmt.Errorf("put %s: %w", uri, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("put %s: %w", uri, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// PutFile stores the file at path as the object uri.
func (s *Store) PutFile(uri, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return s.Put(uri, f)
}

// Get returns the contents of the object uri. A missing object gives an
// error that matches fs.ErrNotExist.
func (s *Store) Get(uri string) ([]byte, error) {
	p, err := s.objectPath(uri)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(p)
	if err == nil && !info.Mode().IsRegular() {
		// A directory is a prefix with objects below it, not an object.
		err = fs.ErrNotExist
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", uri, err)
	}
	return os.ReadFile(p)
}

// List returns the keys of the objects under the prefix uri (see [Store]
// for how prefixes are read), sorted.
func (s *Store) List(prefixURI string) ([]string, error) {
	_, objs, err := s.objects(prefixURI)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.key
	}
	return keys, nil
}

// objects lists the objects under a prefix URI, sorted by key.
func (s *Store) objects(prefixURI string) (bucket string, objs []object, err error) {
	bucket, prefix, err := ParseS3URI(prefixURI)
	if err != nil {
		return "", nil, err
	}
	bucketDir := filepath.Join(s.Root, bucket)
	dir := strings.TrimSuffix(prefix, "/")
	if dir != "" && !strings.HasSuffix(prefix, "/") {
		// The prefix may name an object itself.
		if info, err := os.Stat(filepath.Join(bucketDir, filepath.FromSlash(dir))); err == nil && info.Mode().IsRegular() {
			objs = append(objs, object{key: dir, rel: path.Base(dir)})
		}
	}
	root := filepath.Join(bucketDir, filepath.FromSlash(dir))
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".put-") {
			return nil
		}
		if p == root {
			return nil // the prefix names an object; handled above
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		key := rel
		if dir != "" {
			key = dir + "/" + rel
		}
		objs = append(objs, object{key: key, rel: rel})
		return nil
	})
	if err != nil {
		return "", nil, fmt.Errorf("list %s: %w", prefixURI, err)
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].key < objs[j].key })
	return bucket, objs, nil
}

// Download copies the objects under the prefix uri into dir, each at its
// key relative to the prefix; a URI that names one object downloads that
// object into dir under its base name. dir is created even when nothing
// matches.
func (s *Store) Download(prefixURI, dir string) error {
	bucket, objs, err := s.objects(prefixURI)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, o := range objs {
		if err := s.copyOut(bucket, o, dir, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// copyOut copies one object to dir/<o.rel>, a new file of mode perm.
func (s *Store) copyOut(bucket string, o object, dir string, perm fs.FileMode) error {
	src := filepath.Join(s.Root, bucket, filepath.FromSlash(o.key))
	dst := filepath.Join(dir, filepath.FromSlash(o.rel))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("download s3://%s/%s: %w", bucket, o.key, err)
	}
	if err := out.Close(); err != nil {
		return err
	}
	// The mode OpenFile gives is subject to the umask; Chmod's is not.
	return os.Chmod(dst, perm)
}

// Upload stores every regular file below dir (following symbolic links to
// files) as an object under the prefix uri, at its path relative to dir.
// Existing objects with other keys are left alone, as in S3.
func (s *Store) Upload(dir, prefixURI string) error {
	_, err := s.upload(dir, prefixURI)
	return err
}

// upload is Upload, returning the URIs of the objects it stored.
func (s *Store) upload(dir, prefixURI string) ([]string, error) {
	bucket, prefix, err := ParseS3URI(prefixURI)
	if err != nil {
		return nil, err
	}
	prefix = strings.TrimSuffix(prefix, "/")
	var stored []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		info, err := os.Stat(p)
		if err != nil || !info.Mode().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if prefix != "" {
			key = prefix + "/" + key
		}
		uri := "s3://" + bucket + "/" + key
		stored = append(stored, uri)
		return s.PutFile(uri, p)
	})
	return stored, err
}
