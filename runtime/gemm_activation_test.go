package runtime

import (
	"math"
	"math/rand"
	"testing"
)

// actNaive is each activation written out in float64.
func actNaive(name string, p []float32, v float64) float64 {
	switch name {
	case "Relu":
		return math.Max(v, 0)
	case "Tanh":
		return math.Tanh(v)
	case "Sigmoid":
		return 1 / (1 + math.Exp(-v))
	case "LeakyRelu":
		if v < 0 {
			return float64(p[0]) * v
		}
		return v
	case "Clip":
		return math.Min(math.Max(v, float64(p[0])), float64(p[1]))
	case "HardSigmoid":
		return math.Min(math.Max(float64(p[0])*v+float64(p[1]), 0), 1)
	case "HardSwish":
		return v * math.Min(math.Max(v/6+0.5, 0), 1)
	}
	return v
}

func TestFusedActivations(t *testing.T) {
	r := rand.New(rand.NewSource(12))
	params := map[string][]float32{"LeakyRelu": {0.1}, "Clip": {-0.5, 0.7}, "HardSigmoid": {0.3, 0.4}}
	X, W, B := cvtTensor(r, nil, 2, 4, 6, 6), cvtTensor(r, nil, 6, 4, 3, 3), cvtTensor(r, nil, 6)
	for _, name := range ActivationNames {
		plain := New(Float32)
		if err := Conv(NewExec(nil), &ConvParams{Pads: []int{1, 1, 1, 1}}, []*Tensor{plain}, []*Tensor{X, W, B}); err != nil {
			t.Fatal(err)
		}
		Z := cvtTensor(r, nil, plain.Shape...)
		for _, dt := range []DType{Float32, Float64, Float16} {
			in := []*Tensor{X, W, B, Z}
			if dt != Float32 {
				in = []*Tensor{cvtCast(X, dt), cvtCast(W, dt), cvtCast(B, dt), cvtCast(Z, dt)}
			}
			y := New(dt)
			act, alpha, beta, err := ActivationOf(name, params[name])
			if err != nil {
				t.Fatal(err)
			}
			p := &ConvParams{Pads: []int{1, 1, 1, 1}, Activation: act, ActAlpha: alpha, ActBeta: beta}
			if err := Conv(NewExec(nil), p, []*Tensor{y}, in); err != nil {
				t.Fatal(err)
			}
			got := Data[float32](cvtCast(y, Float32))
			zs := Data[float32](cvtCast(in[3], Float32))
			tol := 1e-5
			if dt == Float16 {
				tol = 2e-2
			}
			for i, v := range Data[float32](plain) {
				want := actNaive(name, params[name], float64(v)+float64(zs[i]))
				if math.Abs(float64(got[i])-want) > tol*(1+math.Abs(want)) {
					t.Fatalf("FusedConv %s %s: element %d = %v, want %v", name, dt, i, got[i], want)
				}
			}
		}
		A, Bm := cvtTensor(r, nil, 5, 7), cvtTensor(r, nil, 7, 3)
		plainG, fused := New(Float32), New(Float32)
		if err := Gemm(NewExec(nil), &GemmParams{Alpha: 1, Beta: 1}, []*Tensor{plainG}, []*Tensor{A, Bm}); err != nil {
			t.Fatal(err)
		}
		act, alpha, beta, _ := ActivationOf(name, params[name])
		if err := Gemm(NewExec(nil), &GemmParams{Alpha: 1, Beta: 1, Activation: act, ActAlpha: alpha, ActBeta: beta}, []*Tensor{fused}, []*Tensor{A, Bm}); err != nil {
			t.Fatal(err)
		}
		for i, v := range Data[float32](plainG) {
			want := actNaive(name, params[name], float64(v))
			if got := float64(Data[float32](fused)[i]); math.Abs(got-want) > 1e-5*(1+math.Abs(want)) {
				t.Fatalf("FusedGemm %s: element %d = %v, want %v", name, i, got, want)
			}
		}
	}
	if _, _, _, err := ActivationOf("Softplus", nil); err == nil {
		t.Error("unknown activation accepted")
	}
	for _, name := range ActivationNames {
		if act, _, _, err := ActivationOf(name, nil); err != nil || act.String() != name || act.GoName() != "Act"+name {
			t.Errorf("ActivationOf(%q) = %v (%s), %v", name, act, act.GoName(), err)
		}
	}
}
