package runtime

import (
	"fmt"
	"strings"
	"testing"
)

// sqDesc prints a tensor, sequence or optional compactly: "2x2:0,1,2,3" for a tensor,
// "[1:0 | 1:1]" for a sequence, "none" for an empty optional.
func sqDesc(t *Tensor) string {
	switch {
	case t.None:
		return "none"
	case t.IsSeq:
		parts := make([]string, len(t.Seq))
		for i, e := range t.Seq {
			parts[i] = sqDesc(e)
		}
		return "[" + strings.Join(parts, " | ") + "]"
	}
	var vals []string
	switch t.DType {
	case Float32:
		for _, v := range Data[float32](t) {
			vals = append(vals, fmt.Sprint(v))
		}
	case Int64:
		for _, v := range Data[int64](t) {
			vals = append(vals, fmt.Sprint(v))
		}
	case Bool:
		for _, v := range Data[bool](t) {
			vals = append(vals, fmt.Sprint(v))
		}
	case String:
		vals = t.Strs
	}
	return ShapeString(t.Shape) + ":" + strings.Join(vals, ",")
}

func sqSeq(elems ...*Tensor) *Tensor {
	t := &Tensor{}
	setSeq(t, Float32, elems)
	return t
}

func TestSequenceKernels(t *testing.T) {
	a, b, c := mvF32([]int{1}, 1), mvF32([]int{2}, 2, 3), mvF32([]int{1}, 4)
	abc := func() *Tensor { return sqSeq(a, b, c) }
	pos := func(p int64) *Tensor { return mvI64(nil, p) }
	type kernel func(x *Exec, out, in []*Tensor) error
	plain := func(k func(*Exec, *struct{}, []*Tensor, []*Tensor) error) kernel {
		return func(x *Exec, out, in []*Tensor) error { return k(x, nil, out, in) }
	}
	split := func(axis int, keep bool) kernel {
		return func(x *Exec, out, in []*Tensor) error {
			return SplitToSequence(x, &SplitToSequenceParams{Axis: axis, KeepDims: keep}, out, in)
		}
	}
	concat := func(axis int, newAxis bool) kernel {
		return func(x *Exec, out, in []*Tensor) error {
			return ConcatFromSequence(x, &ConcatFromSequenceParams{Axis: axis, NewAxis: newAxis}, out, in)
		}
	}
	empty := func(x *Exec, out, in []*Tensor) error {
		return SequenceEmpty(x, &SequenceEmptyParams{DType: Int64}, out, in)
	}
	m := mvIota(2, 3)
	cases := []struct {
		name string
		k    kernel
		in   []*Tensor
		want string // sqDesc of the output, or "error"
	}{
		{"empty", empty, nil, "[]"},
		{"construct", plain(SequenceConstruct), []*Tensor{a, b}, "[1:1 | 2:2,3]"},
		{"construct mixed types", plain(SequenceConstruct), []*Tensor{a, pos(1)}, "error"},
		{"insert at end", plain(SequenceInsert), []*Tensor{sqSeq(a), b}, "[1:1 | 2:2,3]"},
		{"insert at 0", plain(SequenceInsert), []*Tensor{sqSeq(a), b, pos(0)}, "[2:2,3 | 1:1]"},
		{"insert at -1", plain(SequenceInsert), []*Tensor{abc(), m, pos(-1)}, "[1:1 | 2:2,3 | 2x3:0,1,2,3,4,5 | 1:4]"},
		{"insert at len", plain(SequenceInsert), []*Tensor{sqSeq(a), b, pos(1)}, "[1:1 | 2:2,3]"},
		{"insert past end", plain(SequenceInsert), []*Tensor{sqSeq(a), b, pos(2)}, "error"},
		{"insert into tensor", plain(SequenceInsert), []*Tensor{a, b}, "error"},
		{"at 1", plain(SequenceAt), []*Tensor{abc(), pos(1)}, "2:2,3"},
		{"at -1", plain(SequenceAt), []*Tensor{abc(), pos(-1)}, "1:4"},
		{"at 3", plain(SequenceAt), []*Tensor{abc(), pos(3)}, "error"},
		{"at -4", plain(SequenceAt), []*Tensor{abc(), pos(-4)}, "error"},
		{"erase last", plain(SequenceErase), []*Tensor{abc()}, "[1:1 | 2:2,3]"},
		{"erase 0", plain(SequenceErase), []*Tensor{abc(), pos(0)}, "[2:2,3 | 1:4]"},
		{"erase -2", plain(SequenceErase), []*Tensor{abc(), pos(-2)}, "[1:1 | 1:4]"},
		{"erase from empty", plain(SequenceErase), []*Tensor{sqSeq()}, "error"},
		{"length", plain(SequenceLength), []*Tensor{abc()}, "scalar:3"},
		{"length of empty", plain(SequenceLength), []*Tensor{sqSeq()}, "scalar:0"},
		{"split ones keepdims", split(1, true), []*Tensor{m}, "[2x1:0,3 | 2x1:1,4 | 2x1:2,5]"},
		{"split ones squeezed", split(0, false), []*Tensor{m}, "[3:0,1,2 | 3:3,4,5]"},
		{"split scalar size", split(-1, false), []*Tensor{m, pos(2)}, "[2x2:0,1,3,4 | 2x1:2,5]"},
		{"split sizes", split(1, true), []*Tensor{m, mvI64([]int{2}, 1, 2)}, "[2x1:0,3 | 2x2:1,2,4,5]"},
		{"split bad sizes", split(1, true), []*Tensor{m, mvI64([]int{2}, 1, 1)}, "error"},
		{"split bad axis", split(2, true), []*Tensor{m}, "error"},
		{"concat", concat(0, false), []*Tensor{abc()}, "4:1,2,3,4"},
		{"concat rank mismatch", concat(0, false), []*Tensor{sqSeq(a, m)}, "error"},
		{"stack axis 0", concat(0, true), []*Tensor{sqSeq(a, c)}, "2x1:1,4"},
		{"stack axis -1", concat(-1, true), []*Tensor{sqSeq(b, b)}, "2x2:2,2,3,3"},
		{"concat empty", concat(0, false), []*Tensor{sqSeq()}, "error"},
		{"optional of tensor", plain(Optional), []*Tensor{b}, "2:2,3"},
		{"optional of sequence", plain(Optional), []*Tensor{sqSeq(a)}, "[1:1]"},
		{"empty optional", plain(Optional), []*Tensor{nil}, "none"},
		{"has element", plain(OptionalHasElement), []*Tensor{b}, "scalar:true"},
		{"has element of none", plain(OptionalHasElement), []*Tensor{{None: true}}, "scalar:false"},
		{"has element absent", plain(OptionalHasElement), []*Tensor{nil}, "scalar:false"},
		{"has element no input", plain(OptionalHasElement), nil, "scalar:false"},
		{"get element", plain(OptionalGetElement), []*Tensor{sqSeq(a)}, "[1:1]"},
		{"get element of none", plain(OptionalGetElement), []*Tensor{{None: true}}, "error"},
	}
	for _, cs := range cases {
		o := mvOut(1)
		err := cs.k(mvX, o, cs.in)
		switch {
		case cs.want == "error" && err == nil:
			t.Errorf("%s: accepted, made %s", cs.name, sqDesc(o[0]))
		case cs.want != "error" && err != nil:
			t.Errorf("%s: %v", cs.name, err)
		case cs.want != "error" && sqDesc(o[0]) != cs.want:
			t.Errorf("%s: %s, want %s", cs.name, sqDesc(o[0]), cs.want)
		}
	}
}

// A sequence output owns its element slice and copies its tensor inputs: changing the input
// afterwards (a planned buffer reused by a later node) leaves the sequence alone.
func TestSequenceOwnership(t *testing.T) {
	a := mvF32([]int{1}, 1)
	s := mvOut(1)
	if err := SequenceConstruct(mvX, nil, s, []*Tensor{a}); err != nil {
		t.Fatal(err)
	}
	Data[float32](a)[0] = 9
	ins := mvOut(1)
	if err := SequenceInsert(mvX, nil, ins, []*Tensor{s[0], a}); err != nil {
		t.Fatal(err)
	}
	ins[0].Seq[0] = a // would corrupt s if the slices were shared
	if got := sqDesc(s[0]); got != "[1:1]" {
		t.Errorf("construct output changed to %s", got)
	}
}

func TestSequenceMap(t *testing.T) {
	// The body adds its two inputs elementwise and also returns the first one's length.
	body := func(out, in []*Tensor) error {
		x, y := Data[float32](in[0]), Data[float32](in[1])
		out[0].Resize(Float32, in[0].Shape...)
		for i := range x {
			Data[float32](out[0])[i] = x[i] + y[i%len(y)]
		}
		out[1].Resize(Int64)
		Data[int64](out[1])[0] = int64(len(x))
		return nil
	}
	seq := sqSeq(mvF32([]int{2}, 1, 2), mvF32([]int{3}, 3, 4, 5))
	p := &SequenceMapParams{Body: body}
	cases := []struct {
		name string
		in   []*Tensor
		want string
	}{
		{"sequence and tensor", []*Tensor{seq, mvF32([]int{1}, 10)}, "[2:11,12 | 3:13,14,15] [scalar:2 | scalar:3]"},
		{"two sequences", []*Tensor{seq, sqSeq(mvF32([]int{1}, 1), mvF32([]int{1}, 2))}, "[2:2,3 | 3:5,6,7] [scalar:2 | scalar:3]"},
		{"empty", []*Tensor{sqSeq(), sqSeq()}, "[] []"},
		{"lengths differ", []*Tensor{seq, sqSeq(mvF32([]int{1}, 1))}, "error"},
	}
	for _, c := range cases {
		o := mvOut(2)
		err := SequenceMap(mvX, p, o, c.in)
		if c.want == "error" {
			if err == nil {
				t.Errorf("%s: accepted", c.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := sqDesc(o[0]) + " " + sqDesc(o[1]); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
