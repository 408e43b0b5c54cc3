package runtime

import (
	"fmt"
	"math"
	"strings"
)

// Activations fused into Conv and Gemm (com.microsoft FusedConv and FusedGemm, and fusion
// passes): the result is passed through the activation in one pass while it is still in cache,
// instead of by a separate elementwise kernel with a buffer of its own.

// ActivationNames lists the fused activations and their parameters: Relu, Tanh, Sigmoid,
// LeakyRelu (alpha), Clip (min, max), HardSigmoid (alpha, beta: max(0, min(1, alpha*x+beta)))
// and HardSwish (x * HardSigmoid(x) with alpha 1/6, beta 0.5).
var ActivationNames = []string{"Relu", "Tanh", "Sigmoid", "LeakyRelu", "Clip", "HardSigmoid", "HardSwish"}

// Fused activation kinds.
const (
	actNone = iota
	actRelu
	actTanh
	actSigmoid
	actLeakyRelu
	actClip
	actHardSigmoid
	actHardSwish
)

// activation is a resolved fused activation.
type activation struct {
	kind int
	a, b float32
}

// makeActivation resolves an activation name and its parameters (defaults as ONNX's ops).
func makeActivation(name string, params []float32) (activation, error) {
	param := func(i int, def float32) float32 {
		if i < len(params) {
			return params[i]
		}
		return def
	}
	// EqualFold rather than a switch on strings.ToLower(name), which allocates.
	is := func(s string) bool { return strings.EqualFold(name, s) }
	switch {
	case name == "":
		return activation{}, nil
	case is("relu"):
		return activation{kind: actRelu}, nil
	case is("tanh"):
		return activation{kind: actTanh}, nil
	case is("sigmoid"):
		return activation{kind: actSigmoid}, nil
	case is("leakyrelu"):
		return activation{kind: actLeakyRelu, a: param(0, 0.01)}, nil
	case is("clip"):
		return activation{kind: actClip, a: param(0, float32(math.Inf(-1))), b: param(1, float32(math.Inf(1)))}, nil
	case is("hardsigmoid"):
		return activation{kind: actHardSigmoid, a: param(0, 0.2), b: param(1, 0.5)}, nil
	case is("hardswish"):
		return activation{kind: actHardSwish, a: 1.0 / 6, b: 0.5}, nil
	}
	return activation{}, fmt.Errorf("unknown fused activation %q", name)
}

// apply replaces y by act(y + z) (z optional) in float32, in parallel chunks.
func (ac *activation) apply(x *Exec, y, z []float32) {
	actApply(x, ac, y, z)
}

// actApply is apply for float32 or float64 data.
func actApply[T float32 | float64](x *Exec, ac *activation, y, z []T) {
	if ac.kind == actNone && z == nil {
		return
	}
	parFor(gmPool(x), (len(y)+4095)/4096, 4096*4, actJob[T]{ac: *ac, y: y, z: z})
}

type actJob[T float32 | float64] struct {
	ac   activation
	y, z []T
}

func (j actJob[T]) run(lo, hi int) {
	y, z := j.y, j.z
	for c := lo; c < hi; c++ {
		s := y[c*4096 : min((c+1)*4096, len(y))]
		if z != nil {
			zs := z[c*4096 : c*4096+len(s)]
			for i := range s {
				s[i] += zs[i]
			}
		}
		actRun(&j.ac, s)
	}
}

// actRun applies the activation to a chunk; the switch is once per chunk.
func actRun[T float32 | float64](ac *activation, s []T) {
	if f, ok := asFloat32(s); ok {
		// The float32 clamps go through the vector loops.
		switch ac.kind {
		case actRelu:
			clampAffine(f, 1, 0, 0, float32(math.Inf(1)))
			return
		case actClip:
			clampAffine(f, 1, 0, ac.a, ac.b)
			return
		case actHardSigmoid:
			clampAffine(f, ac.a, ac.b, 0, 1)
			return
		case actHardSwish:
			hardSwish(f, ac.a, ac.b)
			return
		}
	}
	a, b := T(ac.a), T(ac.b)
	switch ac.kind {
	case actRelu:
		for i, v := range s {
			s[i] = max(v, 0)
		}
	case actLeakyRelu:
		for i, v := range s {
			if v < 0 {
				s[i] = a * v
			}
		}
	case actClip:
		for i, v := range s {
			s[i] = min(max(v, a), b)
		}
	case actHardSigmoid:
		for i, v := range s {
			s[i] = min(max(a*v+b, 0), 1)
		}
	case actHardSwish:
		for i, v := range s {
			s[i] = v * min(max(a*v+b, 0), 1)
		}
	case actTanh:
		for i, v := range s {
			s[i] = T(math.Tanh(float64(v)))
		}
	case actSigmoid:
		for i, v := range s {
			s[i] = T(1 / (1 + math.Exp(-float64(v))))
		}
	}
}
