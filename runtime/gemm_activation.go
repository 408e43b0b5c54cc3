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

// Act is a fused activation, fixed at compile time: the compiler resolves an activation name
// (ActivationOf) into an Act and its two parameters, which kernel parameters carry as
// Activation, ActAlpha and ActBeta. The parameters are LeakyRelu's alpha, Clip's min and max,
// and HardSigmoid's alpha and beta; the other activations have none (HardSwish is HardSigmoid
// with alpha 1/6 and beta 0.5, whatever the parameters say).
type Act uint8

// The fused activations; ActNone is none.
const (
	ActNone Act = iota
	ActRelu
	ActTanh
	ActSigmoid
	ActLeakyRelu
	ActClip
	ActHardSigmoid
	ActHardSwish
	// ActGelu is 0.5*x*(1+erf(x/sqrt2)) (VecGelu in float32). It has no name in
	// ActivationNames: com.microsoft's fused ops do not define it; the fusion pass puts it on
	// onnxc.MatMulBias, a transformer's first feed-forward layer.
	ActGelu
)

// Fused activation kinds of the internal activation value: the Act values.
const (
	actNone        = int(ActNone)
	actRelu        = int(ActRelu)
	actTanh        = int(ActTanh)
	actSigmoid     = int(ActSigmoid)
	actLeakyRelu   = int(ActLeakyRelu)
	actClip        = int(ActClip)
	actHardSigmoid = int(ActHardSigmoid)
	actHardSwish   = int(ActHardSwish)
	actGelu        = int(ActGelu)
)

var actNames = [...]string{ActNone: "", ActRelu: "Relu", ActTanh: "Tanh", ActSigmoid: "Sigmoid",
	ActLeakyRelu: "LeakyRelu", ActClip: "Clip", ActHardSigmoid: "HardSigmoid", ActHardSwish: "HardSwish", ActGelu: "Gelu"}

// String is the activation's ONNX op name ("" for ActNone).
func (a Act) String() string {
	if int(a) < len(actNames) {
		return actNames[a]
	}
	return fmt.Sprintf("Act(%d)", uint8(a))
}

// GoName is the name of a's constant in package runtime, for generated code.
func (a Act) GoName() string {
	if a == ActNone {
		return "ActNone"
	}
	return "Act" + a.String()
}

// ActivationOf resolves an activation name (case-insensitive, "" for none) and its parameters
// (missing ones take ONNX's defaults) into an Act and its two parameters. The compiler calls it
// when it lowers a fused op; kernels never see names.
func ActivationOf(name string, params []float32) (act Act, alpha, beta float32, err error) {
	param := func(i int, def float32) float32 {
		if i < len(params) {
			return params[i]
		}
		return def
	}
	if name == "" {
		return ActNone, 0, 0, nil
	}
	for a := ActRelu; a <= ActHardSwish; a++ {
		if !strings.EqualFold(name, a.String()) {
			continue
		}
		switch a {
		case ActLeakyRelu:
			return a, param(0, 0.01), 0, nil
		case ActClip:
			return a, param(0, float32(math.Inf(-1))), param(1, float32(math.Inf(1))), nil
		case ActHardSigmoid:
			return a, param(0, 0.2), param(1, 0.5), nil
		}
		return a, 0, 0, nil
	}
	return ActNone, 0, 0, fmt.Errorf("unknown fused activation %q (known: %s)", name, strings.Join(ActivationNames, ", "))
}

// activation is a resolved fused activation.
type activation struct {
	kind int
	a, b float32
}

// newActivation is the activation of kernel parameters Activation, ActAlpha and ActBeta.
func newActivation(act Act, alpha, beta float32) (activation, error) {
	switch act {
	case ActNone, ActRelu, ActTanh, ActSigmoid, ActGelu:
		return activation{kind: int(act)}, nil
	case ActHardSwish:
		return activation{kind: actHardSwish, a: 1.0 / 6, b: 0.5}, nil
	case ActLeakyRelu, ActClip, ActHardSigmoid:
		return activation{kind: int(act), a: alpha, b: beta}, nil
	}
	return activation{}, fmt.Errorf("unknown fused activation %d", act)
}

// makeActivation resolves an activation name and its parameters (defaults as ONNX's ops).
func makeActivation(name string, params []float32) (activation, error) {
	act, a, b, err := ActivationOf(name, params)
	if err != nil {
		return activation{}, err
	}
	return newActivation(act, a, b)
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

// wide reports whether the activation runs a vecmath function, whose call costs more than
// short rows pay for: the AVX-512 GEMM applies those to whole rows of a block (still in L2)
// rather than to each 32-column micro-tile.
func (ac *activation) wide() bool {
	return ac.kind == actGelu || ac.kind == actTanh || ac.kind == actSigmoid
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
		case actGelu:
			VecGelu(f, f)
			return
		case actTanh:
			VecTanh(f, f)
			return
		case actSigmoid:
			VecSigmoid(f, f)
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
	case actGelu:
		for i, v := range s {
			s[i] = T(scGelu(float64(v)))
		}
	}
}
