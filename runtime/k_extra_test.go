package runtime

import (
	"math"
	"reflect"
	"testing"
)

func TestBitCastSizes(t *testing.T) {
	x := New(Float32, 2)
	copy(Data[float32](x), []float32{1, -2})
	out := []*Tensor{{}}
	if err := BitCast(NewExec(nil), &BitCastParams{To: Int32}, out, []*Tensor{x}); err != nil {
		t.Fatal(err)
	}
	want := []int32{int32(math.Float32bits(1)), int32(math.Float32bits(-2))}
	if got := Data[int32](out[0]); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if err := BitCast(NewExec(nil), &BitCastParams{To: Int64}, out, []*Tensor{x}); err == nil {
		t.Fatal("float32 to int64 should fail: sizes differ")
	}
}

func TestTensorScatterCircular(t *testing.T) {
	// cache [2, 4, 1], update [2, 3, 1], batch 0 writes at 2 (wraps), batch 1 at 0.
	c := New(Float32, 2, 4, 1)
	u := New(Float32, 2, 3, 1)
	copy(Data[float32](u), []float32{1, 2, 3, 4, 5, 6})
	w := New(Int64, 2)
	copy(Data[int64](w), []int64{2, 0})
	out := []*Tensor{{}}
	if err := TensorScatter(NewExec(nil), &TensorScatterParams{Axis: -2, Circular: true}, out, []*Tensor{c, u, w}); err != nil {
		t.Fatal(err)
	}
	want := []float32{3, 0, 1, 2, 4, 5, 6, 0}
	if got := Data[float32](out[0]); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// Linear mode must reject a write past the end.
	if err := TensorScatter(NewExec(nil), &TensorScatterParams{Axis: 1}, out, []*Tensor{c, u, w}); err == nil {
		t.Fatal("linear overflow should fail")
	}
}

func TestLabelEncoderNaNAndDuplicates(t *testing.T) {
	p := &LabelEncoderParams{
		KeyKind: LabelFloat, FloatKeys: []float64{2, math.NaN(), 1, 2},
		Out: Int64, IntVals: []int64{10, 20, 30, 40}, IntDefault: -1,
	}
	if err := SortLabelEncoder(p); err != nil {
		t.Fatal(err)
	}
	x := New(Float32, 4)
	copy(Data[float32](x), []float32{1, 2, float32(math.NaN()), 5})
	out := []*Tensor{{}}
	if err := LabelEncoder(NewExec(nil), p, out, []*Tensor{x}); err != nil {
		t.Fatal(err)
	}
	// The last of duplicate keys wins; NaN matches NaN.
	if got, want := Data[int64](out[0]), []int64{30, 40, 20, -1}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestLinearAttentionLinearRule(t *testing.T) {
	// One batch, one head, d_k = d_v = 1, two steps: S1 = k1 v1, S2 = S1 + k2 v2; o_t = q_t S_t.
	mk := func(v ...float32) *Tensor {
		x := New(Float32, 1, 2, 1)
		copy(Data[float32](x), v)
		return x
	}
	q, k, v := mk(1, 2), mk(3, 4), mk(5, 6)
	out := []*Tensor{{}, {}}
	p := &LinearAttentionParams{QHeads: 1, KVHeads: 1, Scale: 1}
	if err := LinearAttention(NewExec(nil), p, out, []*Tensor{q, k, v}); err != nil {
		t.Fatal(err)
	}
	if got, want := Data[float32](out[0]), []float32{15, 2 * (15 + 24)}; !reflect.DeepEqual(got, want) {
		t.Fatalf("output %v, want %v", got, want)
	}
	if got := Data[float32](out[1]); !reflect.DeepEqual(got, []float32{39}) || !reflect.DeepEqual(out[1].Shape, []int{1, 1, 1, 1}) {
		t.Fatalf("state %v%v, want [39]", got, out[1].Shape)
	}
}
