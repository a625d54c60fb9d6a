package gbt

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// XGBoost's UBJSON model format (Booster.save_model("model.ubj"), the
// default of XGBoost 2) is the JSON document encoded as Universal Binary
// JSON, draft 12 (https://ubjson.org). It is read by transcoding it to JSON
// and handing that to the JSON reader, so that both formats go through the
// same validation and a model predicts the same whichever format it came in.
//
// The decoder is our own: we found no maintained Go UBJSON library (none in
// the Go package lists we build from, none in a documentation search) that
// handles optimized containers ($ type and # count, which XGBoost writes
// for every tree array) with the limits a file from outside needs, and the
// format is small enough to read in a few hundred lines.
// It is strict: every count and length is checked against the bytes left
// before anything is allocated for it, nesting is bounded, strings must be
// UTF-8, numbers finite, and there is nothing after the top-level value.
// Errors name the byte offset at fault.

// maxUBJSONDepth bounds container nesting. XGBoost's model nests six
// deep (learner, gradient_booster, model, trees, a tree, tree_param).
const maxUBJSONDepth = 64

// isUBJSON reports whether data looks like a UBJSON object rather than a
// JSON one: '{' followed by the length marker of a first key (XGBoost
// writes 'L') or by the '$' or '#' of an optimized object. JSON follows
// '{' with white space, '"' or '}', none of which is a UBJSON marker that
// can start a key.
func isUBJSON(data []byte) bool {
	if len(data) < 2 || data[0] != '{' {
		return false
	}
	switch data[1] {
	case 'i', 'U', 'I', 'l', 'L', '$', '#':
		return true
	}
	return false
}

// ubjsonToJSON transcodes one UBJSON value, the whole of data, to JSON.
func ubjsonToJSON(data []byte) ([]byte, error) {
	d := &ubjDecoder{data: data, out: make([]byte, 0, len(data)+len(data)/2)}
	if err := d.value(d.marker(), 0); err != nil {
		return nil, err
	}
	if d.pos != len(d.data) {
		return nil, fmt.Errorf("byte %d: %d bytes after the end of the document", d.pos, len(d.data)-d.pos)
	}
	return d.out, nil
}

type ubjDecoder struct {
	data []byte
	pos  int
	out  []byte
}

// errEOF is the byte offset where the input ended early.
func (d *ubjDecoder) errEOF(what string) error {
	return fmt.Errorf("byte %d: file ends inside %s (truncated?)", len(d.data), what)
}

// marker reads the next type marker, skipping no-op markers ('N'); it
// returns 0 at the end of the input.
func (d *ubjDecoder) marker() byte {
	for d.pos < len(d.data) {
		m := d.data[d.pos]
		d.pos++
		if m != 'N' {
			return m
		}
	}
	return 0
}

// take returns the next n bytes, or nil if fewer are left.
func (d *ubjDecoder) take(n int) []byte {
	if n < 0 || n > len(d.data)-d.pos {
		return nil
	}
	b := d.data[d.pos : d.pos+n]
	d.pos += n
	return b
}

// fixedSize is the payload size of the fixed-size value types.
func fixedSize(m byte) int {
	switch m {
	case 'i', 'U', 'C':
		return 1
	case 'I':
		return 2
	case 'l', 'd':
		return 4
	case 'L', 'D':
		return 8
	}
	return -1
}

// integer reads the payload of an integer of type m.
func (d *ubjDecoder) integer(m byte) (int64, error) {
	at := d.pos - 1
	b := d.take(fixedSize(m))
	if b == nil {
		return 0, d.errEOF(fmt.Sprintf("the integer at byte %d", at))
	}
	switch m {
	case 'i':
		return int64(int8(b[0])), nil
	case 'U':
		return int64(b[0]), nil
	case 'I':
		return int64(int16(binary.BigEndian.Uint16(b))), nil
	case 'l':
		return int64(int32(binary.BigEndian.Uint32(b))), nil
	default: // 'L'
		return int64(binary.BigEndian.Uint64(b)), nil
	}
}

// length reads a length or count: an integer with its marker, at least 0
// and, as each of the n things it counts takes at least minBytes bytes,
// no more than the bytes left allow.
func (d *ubjDecoder) length(what string, minBytes int) (int, error) {
	at := d.pos
	m := d.marker()
	switch m {
	case 'i', 'U', 'I', 'l', 'L':
	case 0:
		return 0, d.errEOF("a " + what)
	default:
		return 0, fmt.Errorf("byte %d: %s has type marker %q; want an integer marker (i, U, I, l or L)", at, what, m)
	}
	n, err := d.integer(m)
	if err != nil {
		return 0, err
	}
	left := int64(len(d.data) - d.pos)
	if n < 0 || n > left/int64(minBytes) {
		return 0, fmt.Errorf("byte %d: %s %d does not fit the %d bytes left (truncated or corrupted?)", at, what, n, left)
	}
	return int(n), nil
}

// value transcodes the value whose marker m was just read.
func (d *ubjDecoder) value(m byte, depth int) error {
	at := d.pos - 1
	switch m {
	case 0:
		return d.errEOF("a value")
	case 'Z':
		d.out = append(d.out, "null"...)
	case 'T':
		d.out = append(d.out, "true"...)
	case 'F':
		d.out = append(d.out, "false"...)
	case 'i', 'U', 'I', 'l', 'L':
		n, err := d.integer(m)
		if err != nil {
			return err
		}
		d.out = strconv.AppendInt(d.out, n, 10)
	case 'd', 'D':
		b := d.take(fixedSize(m))
		if b == nil {
			return d.errEOF(fmt.Sprintf("the number at byte %d", at))
		}
		var f float64
		bits := 64
		if m == 'd' {
			f, bits = float64(math.Float32frombits(binary.BigEndian.Uint32(b))), 32
		} else {
			f = math.Float64frombits(binary.BigEndian.Uint64(b))
		}
		if !finite(f) {
			return fmt.Errorf("byte %d: number %v; want a finite number", at, f)
		}
		// The shortest form that reads back as the same float32 (or
		// float64), so that the JSON reader gets the exact value.
		d.out = strconv.AppendFloat(d.out, f, 'g', -1, bits)
	case 'H':
		n, err := d.length("high-precision number length", 1)
		if err != nil {
			return err
		}
		s := d.take(n)
		if _, err := strconv.ParseFloat(string(s), 64); n == 0 || err != nil || !json.Valid(s) {
			return fmt.Errorf("byte %d: high-precision number %q is not a number", at, s)
		}
		d.out = append(d.out, s...)
	case 'C':
		b := d.take(1)
		if b == nil {
			return d.errEOF(fmt.Sprintf("the char at byte %d", at))
		}
		if b[0] >= utf8.RuneSelf {
			return fmt.Errorf("byte %d: char 0x%02x is not ASCII", at, b[0])
		}
		d.out = appendString(d.out, string(b))
	case 'S':
		return d.str()
	case '[', '{':
		if depth >= maxUBJSONDepth {
			return fmt.Errorf("byte %d: containers nested deeper than %d", at, maxUBJSONDepth)
		}
		return d.container(m, depth+1)
	default:
		return fmt.Errorf("byte %d: unknown type marker %q", at, m)
	}
	return nil
}

// str transcodes a string's length and bytes (its 'S' already read, or
// none, for an object key).
func (d *ubjDecoder) str() error {
	at := d.pos
	n, err := d.length("string length", 1)
	if err != nil {
		return err
	}
	s := d.take(n)
	if !utf8.Valid(s) {
		return fmt.Errorf("byte %d: string is not valid UTF-8", at)
	}
	d.out = appendString(d.out, string(s))
	return nil
}

// container transcodes an array or object whose '[' or '{' was just read,
// in any of its three forms: markers up to the closing ']' or '}'; '#'
// and a count, each element with its marker and no closing; '$' with an
// element type, then '#' and a count, elements without markers.
func (d *ubjDecoder) container(open byte, depth int) error {
	at := d.pos - 1
	isObject := open == '{'
	closing, what := byte(']'), "array"
	if isObject {
		closing, what = '}', "object"
	}
	var elemType byte // set for a typed container
	count := -1       // set for a counted container
	if d.pos < len(d.data) && d.data[d.pos] == '$' {
		d.pos++
		elemType = d.marker()
		switch elemType {
		case 0:
			return d.errEOF(fmt.Sprintf("the %s at byte %d", what, at))
		case 'Z', 'T', 'F', 'N':
			// Elements with no payload would let a few bytes claim any
			// number of them; XGBoost never writes such containers.
			return fmt.Errorf("byte %d: %s of type %q is not supported", at, what, elemType)
		}
		if d.pos >= len(d.data) || d.data[d.pos] != '#' {
			return fmt.Errorf("byte %d: %s with a type ($) but no count (#)", at, what)
		}
	}
	if d.pos < len(d.data) && d.data[d.pos] == '#' {
		d.pos++
		// Each element takes at least one byte (its marker, its payload,
		// or for an object the key's length); typed fixed-size elements
		// take their size, so the count is bounded by the bytes left.
		minBytes := 1
		if size := fixedSize(elemType); size > 0 && !isObject {
			minBytes = size
		} else if isObject {
			minBytes = 2 // key length marker and length, then the value
		}
		n, err := d.length(what+" count", minBytes)
		if err != nil {
			return err
		}
		count = n
	}
	d.out = append(d.out, open)
	for i := 0; count < 0 || i < count; i++ {
		var m byte
		if count < 0 {
			m = d.marker()
			if m == closing {
				break
			}
			if m == 0 {
				return d.errEOF(fmt.Sprintf("the %s at byte %d", what, at))
			}
			if isObject {
				d.pos-- // m starts the key's length
			}
		}
		if i > 0 {
			d.out = append(d.out, ',')
		}
		if isObject {
			if err := d.str(); err != nil {
				return err
			}
			d.out = append(d.out, ':')
		}
		if elemType != 0 {
			m = elemType
		} else if isObject || count >= 0 {
			m = d.marker()
		}
		if err := d.value(m, depth); err != nil {
			return err
		}
	}
	if isObject {
		d.out = append(d.out, '}')
	} else {
		d.out = append(d.out, ']')
	}
	return nil
}
