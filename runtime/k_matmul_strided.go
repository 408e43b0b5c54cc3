package runtime

import "fmt"

// MatMulStridedParams configures MatMulStrided, Y = Alpha * A @ B over strided views of its
// inputs: the compiler folds the slices, reshapes and transposes that attention applies to its
// operands (and the transpose of its result) into the product instead of copying them
// (passes/fuse_views.go). Where an operand's shapes are static, its view is resolved at compile
// time: A is the logical tensor of shape AShape (rank r >= 2: batch dims, rows, columns) whose
// element idx is input 0's element AOff + Σ idx[i]*AStrides[i]; B likewise of input 1. Where
// they are symbolic, ASteps (BSteps) say how the view is made from the input, and the kernel
// resolves it once per call from the bound dims; a step that is no view of the data before it
// (a reshape merging dims that a slice or transpose left apart, which depends on the dims)
// copies the operand so far, as the node it replaces would have. Batch dims are equal or 1
// (broadcast), a lower-rank operand taking leading dims of 1. The logical result L (batch dims,
// A's rows, B's columns) is stored permuted: output dim j is L's dim YPerm[j], the last dim
// staying last, and the output is contiguous.
type MatMulStridedParams struct {
	AOff             int
	AShape, AStrides []int
	BOff             int
	BShape, BStrides []int
	ASteps, BSteps   []ViewStep
	YPerm            []int
	Alpha            float32
}

// ViewStep is one step from a tensor to a view of it, resolved when the kernel runs.
type ViewStep struct {
	Kind ViewKind
	// Perm is a ViewTranspose's permutation.
	Perm []int
	// Starts, Ends, Axes and Steps are a ViewSlice's constants (Axes and Steps may be nil).
	Starts, Ends, Axes, Steps []int64
	// ShapeIn is the kernel input holding a ViewReshape's target shape (ONNX Reshape's, with
	// its 0 and -1 entries); AllowZero is Reshape's attribute.
	ShapeIn   int
	AllowZero bool
}

// ViewKind is a ViewStep's kind.
type ViewKind uint8

// The view steps.
const (
	ViewTranspose ViewKind = iota + 1
	ViewSlice
	ViewReshape
)

// Scratch slots of MatMulStrided: operands copied where a step is no view, two per operand,
// so that a second copy does not write over the first while it reads it.
const (
	mmsSlotA = iota + 1
	_
	mmsSlotB
)

// MatMulStrided is the float32 product of strided views (MatMulStridedParams) on the packed
// GEMM, which reads the views where they lie.
func MatMulStrided(x *Exec, p *MatMulStridedParams, out, in []*Tensor) error {
	defer x.Release(x.Mark())
	A, B := in[0], in[1]
	if A.DType != Float32 || B.DType != Float32 {
		return fmt.Errorf("operands %s and %s, want float32", A.DType, B.DType)
	}
	va, ad, err := mmOperandView(x, in, 0, p.AOff, p.AShape, p.AStrides, p.ASteps, mmsSlotA)
	if err != nil {
		return fmt.Errorf("A: %w", err)
	}
	vb, bd, err := mmOperandView(x, in, 1, p.BOff, p.BShape, p.BStrides, p.BSteps, mmsSlotB)
	if err != nil {
		return fmt.Errorf("B: %w", err)
	}
	var ls, ys, yst [MaxViewRank]int
	if err := mmStridedShape(&va, &vb, p.YPerm, &ls, &ys); err != nil {
		return err
	}
	r := va.Rank
	m, k, n := va.Shape[r-2], va.Shape[r-1], vb.Shape[r-1]
	// Each logical dim's stride in the (permuted, contiguous) output.
	st := 1
	for j := r - 1; j >= 0; j-- {
		yst[p.YPerm[j]] = st
		st *= ys[j]
	}
	Y := out[0]
	Y.Resize(Float32, ys[:r]...)
	if Y.Len() == 0 {
		return nil
	}
	yd := Data[float32](Y)
	j := sgemmJob{m: m, n: n, k: k, batches: Y.Len() / (m * n), alpha: p.Alpha}
	j.a = gemmMat{data: ad[va.Off:], rs: va.Strides[r-2], cs: va.Strides[r-1]}
	j.b = gemmMat{data: bd[vb.Off:], rs: vb.Strides[r-2], cs: vb.Strides[r-1]}
	j.c = gemmMat{data: yd, rs: yst[r-2], cs: 1}
	// Batch b's offsets: its index in the logical batch dims, row-major, times each
	// operand's strides (0 where its dim is 1).
	div := 1
	for i := r - 3; i >= 0; i-- {
		d := ls[i]
		if d == 1 {
			continue
		}
		for _, v := range [3]struct {
			m      *gemmMat
			dim, s int
		}{{&j.a, va.Shape[i], va.Strides[i]}, {&j.b, vb.Shape[i], vb.Strides[i]}, {&j.c, d, yst[i]}} {
			s := v.s
			if v.dim == 1 {
				s = 0
			}
			v.m.bdiv[v.m.nb], v.m.bdim[v.m.nb], v.m.bstr[v.m.nb] = div, d, s
			v.m.nb++
		}
		div *= d
	}
	j.run(x)
	return nil
}

// mmOperandView returns operand i's view and data: the compile-time view (off, shape,
// strides), or the steps applied to the input, a step that is no view copying the operand so
// far into scratch slot slot or slot+1 (the one it does not read).
func mmOperandView(x *Exec, in []*Tensor, i, off int, shape, strides []int, steps []ViewStep, slot int) (View, []float32, error) {
	t := in[i]
	data := Data[float32](t)
	var v View
	if steps == nil {
		if len(shape) != len(strides) || len(shape) > MaxViewRank {
			return v, nil, fmt.Errorf("view %v strides %v is not resolved", shape, strides)
		}
		v.Off, v.Rank = off, len(shape)
		copy(v.Shape[:], shape)
		copy(v.Strides[:], strides)
	} else {
		var ok bool
		if v, ok = ContiguousView(t.Shape); !ok {
			return v, nil, fmt.Errorf("input of rank %d", len(t.Shape))
		}
		copies := 0
		for _, s := range steps {
			w, ok := v, true
			switch s.Kind {
			case ViewTranspose:
				w, ok = v.Transpose(s.Perm)
			case ViewSlice:
				w, ok = v.Slice(s.Starts, s.Ends, s.Axes, s.Steps)
			case ViewReshape:
				if s.ShapeIn < 2 || s.ShapeIn >= len(in) || in[s.ShapeIn] == nil {
					return v, nil, fmt.Errorf("reshape step reads input %d of %d", s.ShapeIn, len(in))
				}
				want, err := mvInts(x, in[s.ShapeIn])
				if err != nil {
					return v, nil, fmt.Errorf("reshape: %w", err)
				}
				cur := x.Ints(v.Rank) // not v.Dims(): the errors would move v to the heap
				copy(cur, v.Dims())
				ns, err := reshapeDimsInto(x.Ints(len(want)), cur, want, s.AllowZero)
				if err != nil {
					return v, nil, fmt.Errorf("reshape: %w", err)
				}
				if w, ok = v.Reshape(ns); !ok {
					// Not a view of the data so far: copy the operand so far.
					sh, st := x.Ints(v.Rank), x.Ints(v.Rank)
					copy(sh, v.Dims())
					copy(st, v.Strides[:v.Rank])
					buf := ScratchOf[float32](x, slot+copies%2, NumElems(sh))
					copies++
					if len(buf) > 0 {
						mvStridedCopyT(x, buf, data, sh, st, v.Off)
					}
					data = buf
					c, _ := ContiguousView(sh)
					w, ok = c.Reshape(ns)
				}
			default:
				ok = false
			}
			if !ok {
				return v, nil, fmt.Errorf("view step %+v does not apply to dims %v", s, v.dimsCopy())
			}
			v = w
		}
	}
	for d := 0; d < v.Rank; d++ {
		if v.Strides[d] < 0 || v.Shape[d] < 0 {
			return v, nil, fmt.Errorf("view %v strides %v: dims and strides must not be negative", v.dimsCopy(), v.stridesCopy())
		}
	}
	last := v.Off
	for d := 0; d < v.Rank; d++ {
		if v.Shape[d] == 0 {
			return v, data, nil // reads nothing
		}
		last += (v.Shape[d] - 1) * v.Strides[d]
	}
	if v.Off < 0 || last >= len(data) {
		return v, nil, fmt.Errorf("view at %d of %v strides %v reads past the input's %d values", v.Off, v.dimsCopy(), v.stridesCopy(), len(data))
	}
	return v, data, nil
}

// MatMulStridedShape is the output shape of MatMulStrided with parameters p whose views are
// resolved at compile time, for the compiler's shape inference, or an error where p is not a
// product of views.
func MatMulStridedShape(p *MatMulStridedParams) ([]int, error) {
	if len(p.AShape) > MaxViewRank || len(p.BShape) > MaxViewRank || len(p.AShape) != len(p.AStrides) || len(p.BShape) != len(p.BStrides) {
		return nil, fmt.Errorf("strided matmul parameters %+v are not resolved", *p)
	}
	va, vb := View{Rank: len(p.AShape)}, View{Rank: len(p.BShape)}
	copy(va.Shape[:], p.AShape)
	copy(vb.Shape[:], p.BShape)
	var ls, ys [MaxViewRank]int
	if err := mmStridedShape(&va, &vb, p.YPerm, &ls, &ys); err != nil {
		return nil, err
	}
	return append([]int(nil), ys[:va.Rank]...), nil
}

// mmStridedShape gives the lower-rank view leading dims of 1 (stride 0), checks the views'
// shapes and sets the logical result's shape (ls) and the output's (ys), their first rank
// entries.
func mmStridedShape(va, vb *View, yperm []int, ls, ys *[MaxViewRank]int) error {
	for _, v := range []*View{va, vb} {
		other := va.Rank + vb.Rank - v.Rank
		for v.Rank < other {
			copy(v.Shape[1:v.Rank+1], v.Shape[:v.Rank])
			copy(v.Strides[1:v.Rank+1], v.Strides[:v.Rank])
			v.Shape[0], v.Strides[0] = 1, 0
			v.Rank++
		}
	}
	r := va.Rank
	if r < 2 || len(yperm) != r || yperm[r-1] != r-1 {
		return fmt.Errorf("strided matmul of views %v and %v, output permutation %v", va.dimsCopy(), vb.dimsCopy(), yperm)
	}
	if vb.Shape[r-2] != va.Shape[r-1] {
		return fmt.Errorf("strided matmul of views %v and %v: inner dims %d and %d differ", va.dimsCopy(), vb.dimsCopy(), va.Shape[r-1], vb.Shape[r-2])
	}
	for i := 0; i < r-2; i++ {
		a, b := va.Shape[i], vb.Shape[i]
		if a != b && a != 1 && b != 1 {
			return fmt.Errorf("strided matmul of views %v and %v: batch dims do not broadcast", va.dimsCopy(), vb.dimsCopy())
		}
		ls[i] = max(a, b)
	}
	ls[r-2], ls[r-1] = va.Shape[r-2], vb.Shape[r-1]
	seen := 0
	for j, d := range yperm {
		if d < 0 || d >= r || seen&(1<<d) != 0 {
			return fmt.Errorf("strided matmul output permutation %v", yperm)
		}
		seen |= 1 << d
		ys[j] = ls[d]
	}
	return nil
}
