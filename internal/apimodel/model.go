// Package apimodel validates AWS API requests against the service models
// that the AWS SDKs publish: botocore's data/<service>/<api-version>/
// service-2.json, installed on Debian by the python3-botocore package. The
// rules it checks (member names and nesting, required members, types,
// enums, string lengths and patterns, list and map sizes, number ranges)
// are read from those files; none are kept here.
//
// It also maps a Step Functions Task resource (an AWS SDK integration such
// as arn:aws:states:::aws-sdk:s3:getObject, or one of the optimized
// integrations the pipeline uses) to the service operation whose input its
// Parameters are; see integrations.go for what the optimized integrations
// do differently.
package apimodel

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

// DefaultRoot is where Debian's python3-botocore installs the models.
const DefaultRoot = "/usr/lib/python3/dist-packages/botocore/data"

// RootEnv names the environment variable that, when set, replaces
// DefaultRoot: a botocore data folder holding <service>/<api-version>/
// service-2.json.
const RootEnv = "BOTOCORE_DATA"

// Root returns the botocore data folder to use: $BOTOCORE_DATA, or
// DefaultRoot.
func Root() string {
	if r := os.Getenv(RootEnv); r != "" {
		return r
	}
	return DefaultRoot
}

// ErrNoModels is wrapped by Open's error when the data folder is missing.
var ErrNoModels = errors.New("the botocore API models are not installed")

// Models reads service models from one botocore data folder, each once.
// It is safe for concurrent use.
type Models struct {
	root string

	mu       sync.Mutex
	services map[string]*Service
	byID     map[string]string // normalized serviceId and endpointPrefix -> folder
}

// Open checks that root is a botocore data folder (it must hold
// sagemaker/) and returns its models. A missing folder gives an error
// wrapping ErrNoModels that says how to install it.
func Open(root string) (*Models, error) {
	info, err := os.Stat(filepath.Join(root, "sagemaker"))
	if err != nil || !info.IsDir() {
		return nil, fmt.Errorf("%w: %s has no sagemaker/ folder; install Debian's python3-botocore (apt-get install python3-botocore) or set %s to a botocore data folder", ErrNoModels, root, RootEnv)
	}
	return &Models{root: root, services: map[string]*Service{}}, nil
}

// Root returns the data folder the models come from.
func (m *Models) Root() string { return m.root }

var versionRE = regexp.MustCompile(`(?m)^__version__\s*=\s*['"]([^'"]+)['"]`)

// Version returns the botocore release the data folder belongs to, read
// from the __init__.py next to it, or "unknown".
func (m *Models) Version() string {
	b, err := os.ReadFile(filepath.Join(filepath.Dir(m.root), "__init__.py"))
	if err != nil {
		return "unknown"
	}
	if v := versionRE.FindSubmatch(b); v != nil {
		return string(v[1])
	}
	return "unknown"
}

// Service is one service's API model.
type Service struct {
	// Name is the botocore folder name, such as "stepfunctions".
	Name string
	// APIVersion is the version folder the model was read from.
	APIVersion string
	// File is the service-2.json read.
	File string
	// Metadata is the model's metadata (serviceId, endpointPrefix, ...).
	Metadata Metadata
	// Operations are the operations by name, such as "CreateProcessingJob".
	Operations map[string]*Operation
	// Shapes are the model's shapes by name.
	Shapes map[string]*Shape
}

// Metadata is the part of a model's metadata that identifies the service.
type Metadata struct {
	// ServiceID is the SDK client's name, such as "SFN".
	ServiceID string `json:"serviceId"`
	// EndpointPrefix is the service's endpoint prefix, such as "states".
	EndpointPrefix string `json:"endpointPrefix"`
	// Protocol is the wire protocol (json, rest-json, rest-xml, query).
	Protocol string `json:"protocol"`
}

// Operation is one API operation.
type Operation struct {
	// Name is the operation name, such as "CreateProcessingJob".
	Name string
	// Input names the input shape; empty when the operation takes none.
	Input struct {
		Shape string `json:"shape"`
	} `json:"input"`
	// Service is the model the operation belongs to.
	Service *Service `json:"-"`
}

// Ref is a reference from a member, list or map to a shape.
type Ref struct {
	// Shape is the referenced shape's name.
	Shape string `json:"shape"`
	// IdempotencyToken members are filled by the SDKs when absent.
	IdempotencyToken bool `json:"idempotencyToken"`
	// Deprecated members are still accepted.
	Deprecated bool `json:"deprecated"`
	// Documentation is the member's documentation, in HTML; some rules
	// (such as the characters an execution name must not contain) are
	// stated only there.
	Documentation string `json:"documentation"`
}

// Shape is a botocore shape: a type with its constraints.
type Shape struct {
	// Type is structure, list, map, string, integer, long, float, double,
	// boolean, timestamp or blob.
	Type string `json:"type"`
	// Members and Required describe a structure.
	Members  map[string]Ref `json:"members"`
	Required []string       `json:"required"`
	// Union structures take exactly one member.
	Union bool `json:"union"`
	// Document structures take any JSON.
	Document bool `json:"document"`
	// Member is a list's element.
	Member *Ref `json:"member"`
	// Key and Value are a map's.
	Key   *Ref `json:"key"`
	Value *Ref `json:"value"`
	// Min and Max bound a string's or blob's length, a list's or map's
	// size, or a number's value.
	Min *float64 `json:"min"`
	Max *float64 `json:"max"`
	// Pattern is a Java regular expression a string must match.
	Pattern string `json:"pattern"`
	// Enum lists a string's valid values.
	Enum []string `json:"enum"`
}

// Service loads the model in the botocore folder name (such as "sagemaker"),
// from its newest API version folder.
func (m *Models) Service(name string) (*Service, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.load(name)
}

func (m *Models) load(name string) (*Service, error) {
	if s, ok := m.services[name]; ok {
		return s, nil
	}
	dir := filepath.Join(m.root, name)
	version, err := newestVersion(dir)
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir, version, "service-2.json")
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Metadata   Metadata
		Operations map[string]*Operation
		Shapes     map[string]*Shape
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	s := &Service{Name: name, APIVersion: version, File: file, Metadata: doc.Metadata, Operations: doc.Operations, Shapes: doc.Shapes}
	for n, op := range s.Operations {
		op.Name, op.Service = n, s
	}
	m.services[name] = s
	return s, nil
}

// newestVersion returns the newest API version folder (dates sort as text)
// that holds a service-2.json.
func newestVersion(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("no botocore model folder %s: %w", dir, err)
	}
	var versions []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "service-2.json")); err == nil {
			versions = append(versions, e.Name())
		}
	}
	if len(versions) == 0 {
		return "", fmt.Errorf("%s has no <api-version>/service-2.json", dir)
	}
	sort.Strings(versions)
	return versions[len(versions)-1], nil
}

// normalizeID turns a serviceId such as "Elastic Load Balancing v2" into
// the form SDK client names take: lower case, without spaces or hyphens.
func normalizeID(id string) string {
	return strings.NewReplacer(" ", "", "-", "").Replace(strings.ToLower(id))
}

// SDKService finds the model of a service as Step Functions names it in an
// integration ARN ("sfn", "s3", "sagemaker", "elasticmapreduce"). Those
// names are the SDK clients' names, which follow the model's serviceId
// ("SFN") rather than botocore's folder name ("stepfunctions"), so the
// lookup goes by the serviceId of every model, lower-cased without spaces
// or hyphens, then by endpoint prefix ("states"), then by folder name.
func (m *Models) SDKService(name string) (*Service, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byID == nil {
		if err := m.index(); err != nil {
			return nil, err
		}
	}
	folder, ok := m.byID[strings.ToLower(name)]
	if !ok {
		if _, err := os.Stat(filepath.Join(m.root, name)); err != nil {
			return nil, fmt.Errorf("no service model for %q in %s (by serviceId, endpoint prefix or folder)", name, m.root)
		}
		folder = name
	}
	return m.load(folder)
}

// index reads the metadata at the head of every service-2.json.
func (m *Models) index() error {
	entries, err := os.ReadDir(m.root)
	if err != nil {
		return err
	}
	byID, byPrefix := map[string]string{}, map[string]string{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		version, err := newestVersion(filepath.Join(m.root, e.Name()))
		if err != nil {
			continue
		}
		md, err := readMetadata(filepath.Join(m.root, e.Name(), version, "service-2.json"))
		if err != nil {
			return err
		}
		if id := normalizeID(md.ServiceID); id != "" {
			byID[id] = e.Name()
		}
		if p := md.EndpointPrefix; p != "" {
			if _, taken := byPrefix[p]; !taken {
				byPrefix[p] = e.Name()
			}
		}
	}
	for p, f := range byPrefix {
		if _, ok := byID[p]; !ok {
			byID[p] = f
		}
	}
	m.byID = byID
	return nil
}

// readMetadata decodes a model's metadata object without reading the rest.
func readMetadata(file string) (Metadata, error) {
	f, err := os.Open(file)
	if err != nil {
		return Metadata{}, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	if _, err := dec.Token(); err != nil {
		return Metadata{}, fmt.Errorf("%s: %w", file, err)
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return Metadata{}, fmt.Errorf("%s: %w", file, err)
		}
		if key == "metadata" {
			var md Metadata
			if err := dec.Decode(&md); err != nil {
				return Metadata{}, fmt.Errorf("%s: metadata: %w", file, err)
			}
			return md, nil
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return Metadata{}, fmt.Errorf("%s: %w", file, err)
		}
	}
	return Metadata{}, fmt.Errorf("%s has no metadata", file)
}

// Operation returns the named operation. Names are matched exactly, then
// regardless of case (Step Functions writes actions in camelCase); an
// unknown name gives an error suggesting the closest one.
func (s *Service) Operation(name string) (*Operation, error) {
	if op, ok := s.Operations[name]; ok {
		return op, nil
	}
	for n, op := range s.Operations {
		if strings.EqualFold(n, name) {
			return op, nil
		}
	}
	return nil, fmt.Errorf("%s (%s) has no operation %q%s", s.Name, s.File, name, suggestion(name, slices.Sorted(maps.Keys(s.Operations))))
}
