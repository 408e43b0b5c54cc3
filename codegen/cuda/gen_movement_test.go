package cuda

import (
	"math/rand"
	"slices"
	"testing"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// The index maps are checked on the CPU: each offset the PTX computes (the coordinates of a
// thread by division by the simplified dims, then base plus coordinates times strides) is
// evaluated here the same way, the copies are applied to random data, and the result must be
// the reference kernel's.

// offsetsOf evaluates an access over dims as mapKernel's code does, thread by thread.
func offsetsOf(dims []int, a access) []int {
	n := volume(dims)
	offs := make([]int, n)
	c := make([]int, len(dims))
	for i := range offs {
		unravel(i, dims, c)
		off := a.base
		for d := range c {
			off += c[d] * a.strides[d]
		}
		offs[i] = off
	}
	return offs
}

func operandOf(t *runtime.Tensor, constant bool) lowered.Operand {
	v := &ir.Value{Type: ir.ConstType(t)}
	if constant {
		v.Const = t
	}
	return lowered.OperandOf(v)
}

func ints(v ...int64) *runtime.Tensor {
	t := runtime.New(runtime.Int64, len(v))
	copy(runtime.Data[int64](t), v)
	return t
}

func randomTensor(r *rand.Rand, dims ...int) *runtime.Tensor {
	t := runtime.New(runtime.Float32, dims...)
	for i := range runtime.Data[float32](t) {
		runtime.Data[float32](t)[i] = r.Float32()
	}
	return t
}

type mvCase struct {
	name   string
	entry  lowered.Entry
	params any
	data   []*runtime.Tensor // data inputs first
	consts []*runtime.Tensor // then constant inputs (nil: absent)
	cpu    bool              // expected to stay on the CPU path
}

func TestMovementMapsMatchReference(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	x := randomTensor(r, 2, 3, 4, 5)
	cases := []mvCase{
		{name: "transpose", entry: lowered.Transpose, params: &runtime.TransposeParams{Perm: []int{0, 3, 1, 2}}, data: []*runtime.Tensor{x}},
		{name: "transpose-reverse", entry: lowered.Transpose, params: &runtime.TransposeParams{}, data: []*runtime.Tensor{x}},
		{name: "slice", entry: lowered.Slice, data: []*runtime.Tensor{x}, consts: []*runtime.Tensor{ints(1, 0), ints(3, 4), ints(2, 3), ints(1, 2)}},
		{name: "slice-negative-step", entry: lowered.Slice, data: []*runtime.Tensor{x}, consts: []*runtime.Tensor{ints(-1), ints(-100), ints(3), ints(-2)}, cpu: true},
		{name: "concat", entry: lowered.Concat, params: &runtime.ConcatParams{Axis: 1}, data: []*runtime.Tensor{x, randomTensor(r, 2, 1, 4, 5), randomTensor(r, 2, 2, 4, 5)}},
		{name: "concat-last", entry: lowered.Concat, params: &runtime.ConcatParams{Axis: -1}, data: []*runtime.Tensor{x, randomTensor(r, 2, 3, 4, 2)}},
		{name: "expand", entry: lowered.Expand, data: []*runtime.Tensor{randomTensor(r, 3, 1, 5)}, consts: []*runtime.Tensor{ints(2, 3, 4, 5)}},
		{name: "tile", entry: lowered.Tile, data: []*runtime.Tensor{randomTensor(r, 2, 3)}, consts: []*runtime.Tensor{ints(2, 2)}, cpu: true},
		{name: "gather", entry: lowered.Gather, params: &runtime.GatherParams{Axis: 2}, data: []*runtime.Tensor{x}, consts: []*runtime.Tensor{ints(1, 2, 3)}},
		{name: "gather-scalar", entry: lowered.Gather, params: &runtime.GatherParams{Axis: 1}, data: []*runtime.Tensor{x}, consts: []*runtime.Tensor{func() *runtime.Tensor { t := runtime.New(runtime.Int64); runtime.Data[int64](t)[0] = 2; return t }()}},
		{name: "gather-repeated", entry: lowered.Gather, params: &runtime.GatherParams{Axis: 0}, data: []*runtime.Tensor{x}, consts: []*runtime.Tensor{ints(1, 1, 0)}, cpu: true},
		{name: "split", entry: lowered.Split, params: &runtime.SplitParams{Axis: 3, NumOutputs: 2}, data: []*runtime.Tensor{x}, consts: []*runtime.Tensor{ints(2, 3)}},
		{name: "pad", entry: lowered.Pad, params: &runtime.PadParams{Mode: "constant"}, data: []*runtime.Tensor{x}, consts: []*runtime.Tensor{ints(0, 1, 0, 2, 0, 0, 1, 1), func() *runtime.Tensor { t := runtime.New(runtime.Float32); runtime.Data[float32](t)[0] = 7.5; return t }()}},
		{name: "pad-reflect", entry: lowered.Pad, params: &runtime.PadParams{Mode: "reflect"}, data: []*runtime.Tensor{x}, consts: []*runtime.Tensor{ints(0, 1, 0, 2, 0, 1, 0, 1)}, cpu: true},
		{name: "depth-to-space", entry: lowered.DepthToSpace, params: &runtime.DepthSpaceParams{Blocksize: 2}, data: []*runtime.Tensor{randomTensor(r, 1, 8, 2, 3)}, cpu: true},
	}
	xe := runtime.NewExec(runtime.NewPool(1))
	defer xe.Pool.Close()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := append(append([]*runtime.Tensor{}, c.data...), c.consts...)
			nout := 1
			if c.entry == lowered.Split {
				nout = 2
			}
			want := make([]*runtime.Tensor, nout)
			for i := range want {
				want[i] = new(runtime.Tensor)
			}
			if err := movementKernels[c.entry].run(xe, c.params, want, in); err != nil {
				t.Fatal(err)
			}
			k := &lowered.Kernel{Entry: c.entry, Params: c.params}
			for j, tn := range in {
				k.In = append(k.In, operandOf(tn, j >= len(c.data)))
			}
			for _, w := range want {
				k.Out = append(k.Out, operandOf(w, false))
			}
			maps, fill, err := movementMaps(k)
			if c.cpu {
				if _, ok := err.(Unsupported); !ok {
					t.Fatalf("want the CPU path, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, ok, err := genMovement(k, Target{SM: 80}); !ok || err != nil {
				t.Fatalf("genMovement: %v %v", ok, err)
			}
			for o, m := range maps {
				got := make([]float32, want[o].Len())
				if m.fill {
					for i := range got {
						got[i] = runtime.Data[float32](fill)[0]
					}
				}
				for _, b := range m.boxes {
					src := runtime.Data[float32](in[b.input])
					dst, from := offsetsOf(b.dims, b.out), offsetsOf(b.dims, b.in)
					for i := range dst {
						got[dst[i]] = src[from[i]]
					}
				}
				if !slices.Equal(got, runtime.Data[float32](want[o])) {
					t.Errorf("output %d: maps give %v, want %v", o, got, runtime.Data[float32](want[o]))
				}
			}
		})
	}
}

// TestBroadcastMaps checks Binary's and the fused chains' input maps the same way against
// runtime.Binary.
func TestBroadcastMaps(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	xe := runtime.NewExec(runtime.NewPool(1))
	defer xe.Pool.Close()
	for _, shapes := range [][2][]int{
		{{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {4}}, {{2, 3, 4}, {3, 1}}, {{2, 1, 4}, {1, 3, 1}}, {{1}, {2, 3}}, {{5, 1, 1, 6}, {5, 7, 1}},
	} {
		a, b := randomTensor(r, shapes[0]...), randomTensor(r, shapes[1]...)
		want := new(runtime.Tensor)
		if err := runtime.Binary(xe, &runtime.BinaryParams{Op: runtime.BinarySub}, []*runtime.Tensor{want}, []*runtime.Tensor{a, b}); err != nil {
			t.Fatal(err)
		}
		dims := want.Shape
		aa, ok1 := broadcast(a.Shape, dims)
		ba, ok2 := broadcast(b.Shape, dims)
		if !ok1 || !ok2 {
			t.Fatalf("%v: no broadcast", shapes)
		}
		sd, acc := simplify(dims, []access{contiguous(dims), aa, ba})
		out, ia, ib := offsetsOf(sd, acc[0]), offsetsOf(sd, acc[1]), offsetsOf(sd, acc[2])
		got := make([]float32, want.Len())
		for i := range out {
			got[out[i]] = runtime.Data[float32](a)[ia[i]] - runtime.Data[float32](b)[ib[i]]
		}
		if !slices.Equal(got, runtime.Data[float32](want)) {
			t.Errorf("%v: maps give %v, want %v", shapes, got, runtime.Data[float32](want))
		}
	}
}
