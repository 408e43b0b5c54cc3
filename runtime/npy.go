package runtime

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// This file reads and writes NumPy .npy files (format versions 1.0, 2.0 and 3.0), the other
// tensor file format generated binaries accept. Only what np.save writes for plain numeric
// arrays is supported: little-endian, C order, element types f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8
// and b1. The runtime assumes a little-endian host, as tensor.go does, so '=' (native) counts as
// little-endian.

const npyMagic = "\x93NUMPY"

// npyCodes maps a type code (kind letter and size) to its DType.
var npyCodes = map[string]DType{
	"f2": Float16, "f4": Float32, "f8": Float64,
	"i1": Int8, "i2": Int16, "i4": Int32, "i8": Int64,
	"u1": Uint8, "u2": Uint16, "u4": Uint32, "u8": Uint64,
	"b1": Bool,
}

// ReadNpy decodes a .npy file.
func ReadNpy(b []byte) (*Tensor, error) {
	if len(b) < 10 || string(b[:6]) != npyMagic {
		return nil, errors.New("npy: not a .npy file (bad magic)")
	}
	major, minor := b[6], b[7]
	var hlen, off int
	switch major {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(b[8:10])), 10
	case 2, 3:
		if len(b) < 12 {
			return nil, errors.New("npy: truncated header")
		}
		h := binary.LittleEndian.Uint32(b[8:12])
		if uint64(h) > uint64(len(b)-12) {
			return nil, fmt.Errorf("npy: header length %d runs past the end of the file", h)
		}
		hlen, off = int(h), 12
	default:
		return nil, fmt.Errorf("npy: format version %d.%d is not supported", major, minor)
	}
	if minor != 0 {
		return nil, fmt.Errorf("npy: format version %d.%d is not supported", major, minor)
	}
	if hlen > len(b)-off {
		return nil, fmt.Errorf("npy: header length %d runs past the end of the file", hlen)
	}
	h, err := parseNpyHeader(string(b[off : off+hlen]))
	if err != nil {
		return nil, fmt.Errorf("npy: header: %w", err)
	}
	if h.fortran {
		return nil, errors.New("npy: fortran_order arrays are not supported; save a C-ordered " +
			"array (np.ascontiguousarray) instead")
	}
	dt, err := npyDType(h.descr)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	n, err := checkedElems(h.shape)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	data := b[off+hlen:]
	if uint64(len(data)) != uint64(n)*uint64(dt.Size()) {
		return nil, fmt.Errorf("npy: %d data bytes, want %d for %s%v", len(data), n*dt.Size(), dt, h.shape)
	}
	if dt == Bool {
		for i, c := range data {
			if c > 1 {
				return nil, fmt.Errorf("npy: bool element %d is %#x, not 0 or 1", i, c)
			}
		}
	}
	t := New(dt, h.shape...)
	copy(t.Bytes(), data)
	return t, nil
}

// npyDType decodes a descr such as '<f4' or '|u1'.
func npyDType(descr string) (DType, error) {
	if len(descr) < 2 {
		return 0, fmt.Errorf("element type %q is not supported", descr)
	}
	order, code := descr[0], descr[1:]
	if code == "?" {
		code = "b1"
	}
	dt, ok := npyCodes[code]
	if !ok {
		return 0, fmt.Errorf("element type %q is not supported (want one of f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1)", descr)
	}
	switch order {
	case '<', '=':
	case '|', '>':
		if dt.Size() != 1 {
			return 0, fmt.Errorf("element type %q: only little-endian data is supported", descr)
		}
	default:
		return 0, fmt.Errorf("element type %q has an unknown byte order", descr)
	}
	return dt, nil
}

type npyHeader struct {
	descr   string
	fortran bool
	shape   []int
}

// parseNpyHeader parses the header, a Python dict literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with spaces and a newline.
func parseNpyHeader(s string) (*npyHeader, error) {
	p := &pyLit{s: s}
	h := &npyHeader{}
	var seen [3]bool
	if !p.eat('{') {
		return nil, errors.New("not a dict")
	}
	for !p.eat('}') {
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if !p.eat(':') {
			return nil, fmt.Errorf("no ':' after %q", key)
		}
		switch key {
		case "descr":
			h.descr, err = p.str()
			if err != nil {
				err = fmt.Errorf("descr: %w (structured dtypes are not supported)", err)
			}
			seen[0] = true
		case "fortran_order":
			h.fortran, err = p.boolean()
			seen[1] = true
		case "shape":
			h.shape, err = p.tuple()
			seen[2] = true
		default:
			return nil, fmt.Errorf("unknown key %q", key)
		}
		if err != nil {
			return nil, err
		}
		if !p.eat(',') {
			if !p.eat('}') {
				return nil, fmt.Errorf("expected ',' or '}' at offset %d", p.i)
			}
			break
		}
	}
	if strings.TrimSpace(s[p.i:]) != "" {
		return nil, fmt.Errorf("trailing text after the dict at offset %d", p.i)
	}
	if !seen[0] || !seen[1] || !seen[2] {
		return nil, errors.New("want the keys descr, fortran_order and shape")
	}
	return h, nil
}

// pyLit is a cursor over the small subset of Python literal syntax .npy headers use.
type pyLit struct {
	s string
	i int
}

func (p *pyLit) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

// eat consumes c (after whitespace) if it is next.
func (p *pyLit) eat(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a quoted string without escapes (none appear in the keys and dtypes of npy headers).
func (p *pyLit) str() (string, error) {
	p.space()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", fmt.Errorf("expected a string at offset %d", p.i)
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", errors.New("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.IndexByte(v, '\\') >= 0 {
		return "", errors.New("escapes in strings are not supported")
	}
	p.i += end + 2
	return v, nil
}

func (p *pyLit) boolean() (bool, error) {
	p.space()
	for _, w := range []string{"True", "False"} {
		if strings.HasPrefix(p.s[p.i:], w) {
			p.i += len(w)
			return w == "True", nil
		}
	}
	return false, fmt.Errorf("expected True or False at offset %d", p.i)
}

// tuple reads a tuple of non-negative integers: (), (3,), (2, 3). Python 2 wrote longs as 3L.
func (p *pyLit) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, fmt.Errorf("expected a tuple at offset %d", p.i)
	}
	shape := []int{}
	for !p.eat(')') {
		p.space()
		j := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		d, err := strconv.Atoi(p.s[j:p.i])
		if err != nil || p.i-j > 12 {
			return nil, fmt.Errorf("bad dim at offset %d", j)
		}
		if p.i < len(p.s) && p.s[p.i] == 'L' {
			p.i++
		}
		shape = append(shape, d)
		if !p.eat(',') {
			if !p.eat(')') {
				return nil, fmt.Errorf("expected ',' or ')' at offset %d", p.i)
			}
			break
		}
	}
	return shape, nil
}

// WriteNpy encodes t as a .npy file (version 1.0, or 2.0 when the header does not fit 64 KiB).
// BFloat16 and string tensors have no .npy element type and give an error.
func WriteNpy(t *Tensor) ([]byte, error) {
	var code string
	for c, dt := range npyCodes {
		if dt == t.DType {
			code = c
		}
	}
	if code == "" {
		return nil, fmt.Errorf("npy: %s has no .npy element type", t.DType)
	}
	order := "<"
	if t.DType.Size() == 1 {
		order = "|"
	}
	var sh strings.Builder
	sh.WriteByte('(')
	for i, d := range t.Shape {
		if i > 0 {
			sh.WriteString(", ")
		}
		sh.WriteString(strconv.Itoa(d))
	}
	if len(t.Shape) == 1 {
		sh.WriteByte(',')
	}
	sh.WriteByte(')')
	h := fmt.Sprintf("{'descr': '%s%s', 'fortran_order': False, 'shape': %s, }", order, code, sh.String())
	// Pad with spaces and end with a newline so that the data starts 64-byte aligned, as numpy
	// does.
	pre := 10
	if len(h)+64 > 1<<16-1 { // the header with its padding must fit the 16-bit length
		pre = 12
	}
	pad := (64 - (pre+len(h)+1)%64) % 64
	h += strings.Repeat(" ", pad) + "\n"
	data := t.Bytes()
	b := make([]byte, 0, pre+len(h)+len(data))
	b = append(b, npyMagic...)
	if pre == 10 {
		b = append(b, 1, 0)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
	} else {
		b = append(b, 2, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(h)))
	}
	b = append(b, h...)
	return append(b, data...), nil
}
