package main

import (
	"bytes"
	"fmt"
	"os"
	"sort"

	"golang.org/x/tools/cover"
)

// profile is a merged coverage profile: per source file (as the profile
// names it, import path and file name), its blocks.
type profile struct {
	mode  string
	files map[string][]cover.ProfileBlock
}

// blockKey identifies a block of a file across profiles.
type blockKey struct{ startLine, startCol, endLine, endCol int }

// mergeFiles reads text coverage profiles and merges them: a block that
// appears in several counts as run when any run it ("set" mode), or with
// its counts added (the counting modes). All profiles must have one mode.
func mergeFiles(names []string) (*profile, error) {
	merged := &profile{files: map[string][]cover.ProfileBlock{}}
	index := map[string]map[blockKey]int{}
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		profiles, err := cover.ParseProfilesFromReader(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		for _, p := range profiles {
			if merged.mode == "" {
				merged.mode = p.Mode
			}
			if p.Mode != merged.mode {
				return nil, fmt.Errorf("%s: mode %q, but the profiles before it have %q: profiles of different modes cannot be merged", name, p.Mode, merged.mode)
			}
			if index[p.FileName] == nil {
				index[p.FileName] = map[blockKey]int{}
			}
			blocks := merged.files[p.FileName]
			for _, b := range p.Blocks {
				k := blockKey{b.StartLine, b.StartCol, b.EndLine, b.EndCol}
				i, seen := index[p.FileName][k]
				switch {
				case !seen:
					index[p.FileName][k] = len(blocks)
					blocks = append(blocks, b)
				case blocks[i].NumStmt != b.NumStmt:
					return nil, fmt.Errorf("%s: %s:%d.%d,%d.%d has %d statements, but %d in the profiles before it: were they made from different sources?",
						name, p.FileName, b.StartLine, b.StartCol, b.EndLine, b.EndCol, b.NumStmt, blocks[i].NumStmt)
				case merged.mode == "set":
					blocks[i].Count |= b.Count
				default:
					blocks[i].Count += b.Count
				}
			}
			merged.files[p.FileName] = blocks
		}
	}
	for name, blocks := range merged.files {
		sort.Slice(blocks, func(i, j int) bool {
			a, b := blocks[i], blocks[j]
			if a.StartLine != b.StartLine {
				return a.StartLine < b.StartLine
			}
			return a.StartCol < b.StartCol
		})
		merged.files[name] = blocks
	}
	return merged, nil
}

// format returns the profile in go test's text format, files in name
// order, so that go tool cover reads it and equal inputs give equal bytes.
func (p *profile) format() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "mode: %s\n", p.mode)
	for _, name := range sortedKeys(p.files) {
		for _, k := range p.files[name] {
			fmt.Fprintf(&b, "%s:%d.%d,%d.%d %d %d\n", name, k.StartLine, k.StartCol, k.EndLine, k.EndCol, k.NumStmt, k.Count)
		}
	}
	return b.Bytes()
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
