package ops

import (
	"fmt"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// Errorf formats an error that names the node.
func Errorf(n *ir.Node, format string, args ...any) error {
	return fmt.Errorf("%s: %s", n.Describe(), fmt.Sprintf(format, args...))
}

// InType is the type of input i (the zero Type when absent).
func InType(n *ir.Node, i int) ir.Type {
	if v := n.Input(i); v != nil {
		return v.Type
	}
	return ir.Type{}
}

// SetOut sets the type of output i.
func SetOut(n *ir.Node, i int, t ir.Type) {
	if i < len(n.Outputs) && n.Outputs[i] != nil {
		n.Outputs[i].Type = t
	}
}

// ConstInput returns input i's value when it is a compile-time constant, else nil.
func ConstInput(n *ir.Node, i int) *runtime.Tensor {
	if v := n.Input(i); v != nil {
		return v.Const
	}
	return nil
}

// ConstInts reads a constant integer input (int32 or int64) as []int64; ok is false when the
// input is absent or not constant.
func ConstInts(n *ir.Node, i int) (vals []int64, ok bool) {
	t := ConstInput(n, i)
	if t == nil {
		return nil, false
	}
	return TensorInts(t), true
}

// TensorInts reads an integer tensor's elements as int64.
func TensorInts(t *runtime.Tensor) []int64 {
	out := make([]int64, t.Len())
	switch t.DType {
	case runtime.Int64:
		copy(out, runtime.Data[int64](t))
	case runtime.Int32:
		for i, v := range runtime.Data[int32](t) {
			out[i] = int64(v)
		}
	case runtime.Int8:
		for i, v := range runtime.Data[int8](t) {
			out[i] = int64(v)
		}
	case runtime.Int16:
		for i, v := range runtime.Data[int16](t) {
			out[i] = int64(v)
		}
	case runtime.Uint8, runtime.Bool:
		for i, v := range runtime.Data[uint8](t) {
			out[i] = int64(v)
		}
	case runtime.Uint16:
		for i, v := range runtime.Data[uint16](t) {
			out[i] = int64(v)
		}
	case runtime.Uint32:
		for i, v := range runtime.Data[uint32](t) {
			out[i] = int64(v)
		}
	case runtime.Uint64:
		for i, v := range runtime.Data[uint64](t) {
			out[i] = int64(v)
		}
	}
	return out
}

// NormAxis maps a possibly negative axis into [0, rank).
func NormAxis(n *ir.Node, axis int64, rank int) (int, error) {
	if axis < -int64(rank) || axis >= int64(rank) {
		return 0, Errorf(n, "axis %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += int64(rank)
	}
	return int(axis), nil
}

// Ints converts []int64 to []int.
func Ints(v []int64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// Int64s converts []int to []int64.
func Int64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

// SameAsInput is an Infer function for ops whose only output has input 0's type.
func SameAsInput(n *ir.Node) error {
	SetOut(n, 0, InType(n, 0))
	return nil
}

// BroadcastDims is the numpy-style broadcast of two shapes; unknown dims stay unknown unless the
// other side settles them. It fails only on two different static sizes neither of which is 1.
func BroadcastDims(n *ir.Node, a, b []ir.Dim) ([]ir.Dim, error) {
	r := max(len(a), len(b))
	out := make([]ir.Dim, r)
	for i := 0; i < r; i++ {
		da, db := ir.Static(1), ir.Static(1)
		if j := i - (r - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (r - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case da == db:
			out[i] = da
		case da.N == 1:
			out[i] = db
		case db.N == 1:
			out[i] = da
		case da.IsStatic() && db.IsStatic():
			return nil, Errorf(n, "shapes %v and %v do not broadcast", a, b)
		case da.IsStatic():
			out[i] = da
		case db.IsStatic():
			out[i] = db
		default:
			out[i] = ir.Unknown()
		}
	}
	return out, nil
}

// BroadcastTypes broadcasts the shapes of several input types; the result's rank is unknown if
// any input's is.
func BroadcastTypes(n *ir.Node, dt ir.DType, ts ...ir.Type) (ir.Type, error) {
	var dims []ir.Dim
	for _, t := range ts {
		if !t.RankKnown {
			return ir.Type{DType: dt}, nil
		}
		var err error
		if dims, err = BroadcastDims(n, dims, t.Shape); err != nil {
			return ir.Type{}, err
		}
	}
	return ir.TensorType(dt, dims...), nil
}
