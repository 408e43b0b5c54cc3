package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Elementwise ops: the unary family (this file), the binary and variadic families
// (elementwise_binary.go), Where and Clip (elementwise_misc.go). Each family is a table with one
// row per op; the Defs are generated from it and lower to one runtime kernel per family with the
// row's op code.

// ewTypes is a set of element types, one bit per runtime.DType.
type ewTypes uint64

func ewSet(dts ...runtime.DType) ewTypes {
	var s ewTypes
	for _, dt := range dts {
		s |= 1 << dt
	}
	return s
}

func (s ewTypes) has(dt runtime.DType) bool { return dt < 64 && s&(1<<dt) != 0 }

var (
	ewFloats   = ewSet(runtime.Float16, runtime.BFloat16, runtime.Float32, runtime.Float64)
	ewSigned   = ewSet(runtime.Int8, runtime.Int16, runtime.Int32, runtime.Int64)
	ewUnsigned = ewSet(runtime.Uint8, runtime.Uint16, runtime.Uint32, runtime.Uint64)
	ewInts     = ewSigned | ewUnsigned
	ewNumeric  = ewFloats | ewInts
	ewBool     = ewSet(runtime.Bool)
	ewAny      = ewNumeric | ewBool | ewSet(runtime.String)
	// ewNarrow are the float8, float4, int4 and int2 types, which only conversions and
	// data movement handle.
	ewNarrow = ewSet(runtime.Float8E4M3FN, runtime.Float8E4M3FNUZ, runtime.Float8E5M2,
		runtime.Float8E5M2FNUZ, runtime.Uint4, runtime.Int4, runtime.Float4E2M1, runtime.Float8E8M0,
		runtime.Uint2, runtime.Int2)
)

// ewCheckType fails unless dt is in the allowed set. An undefined type (not inferred yet) passes;
// types the runtime cannot hold (float8, int4, ...) get their own message.
func ewCheckType(n *ir.Node, what string, dt ir.DType, allowed ewTypes) error {
	switch {
	case dt == runtime.Undefined:
		return nil
	case !dt.Valid():
		return Errorf(n, "%s has unsupported element type %s", what, ewTypeName(dt))
	case !allowed.has(dt):
		return Errorf(n, "%s has element type %s, which %s does not support", what, dt, n.Op)
	}
	return nil
}

// ewAttr is a float attribute that an op maps onto UnaryParams.Alpha or Beta.
type ewAttr struct {
	name string
	def  float64
}

var unaryTable = []struct {
	op          string
	code        int
	types       ewTypes
	alpha, beta ewAttr
	doc         string
}{
	{op: "Abs", code: runtime.UnaryAbs, types: ewNumeric, doc: "absolute value"},
	{op: "Neg", code: runtime.UnaryNeg, types: ewFloats | ewSigned, doc: "negation"},
	{op: "Exp", code: runtime.UnaryExp, types: ewFloats, doc: "e^x"},
	{op: "Log", code: runtime.UnaryLog, types: ewFloats, doc: "natural logarithm"},
	{op: "Sqrt", code: runtime.UnarySqrt, types: ewFloats, doc: "square root"},
	{op: "Reciprocal", code: runtime.UnaryReciprocal, types: ewFloats, doc: "1/x"},
	{op: "Floor", code: runtime.UnaryFloor, types: ewFloats, doc: "round down"},
	{op: "Ceil", code: runtime.UnaryCeil, types: ewFloats, doc: "round up"},
	{op: "Round", code: runtime.UnaryRound, types: ewFloats, doc: "round half to even"},
	{op: "Sign", code: runtime.UnarySign, types: ewNumeric, doc: "-1, 0 or 1"},
	{op: "Relu", code: runtime.UnaryRelu, types: ewFloats | ewSigned, doc: "max(0, x)"},
	{op: "Sigmoid", code: runtime.UnarySigmoid, types: ewFloats, doc: "1/(1+e^-x)"},
	{op: "HardSigmoid", code: runtime.UnaryHardSigmoid, types: ewFloats,
		alpha: ewAttr{"alpha", 0.2}, beta: ewAttr{"beta", 0.5}, doc: "max(0, min(1, alpha*x+beta))"},
	{op: "HardSwish", code: runtime.UnaryHardSwish, types: ewFloats, doc: "x*max(0, min(1, x/6+1/2))"},
	{op: "Tanh", code: runtime.UnaryTanh, types: ewFloats, doc: "hyperbolic tangent"},
	{op: "Sin", code: runtime.UnarySin, types: ewFloats, doc: "sine"},
	{op: "Cos", code: runtime.UnaryCos, types: ewFloats, doc: "cosine"},
	{op: "Tan", code: runtime.UnaryTan, types: ewFloats, doc: "tangent"},
	{op: "Asin", code: runtime.UnaryAsin, types: ewFloats, doc: "arcsine"},
	{op: "Acos", code: runtime.UnaryAcos, types: ewFloats, doc: "arccosine"},
	{op: "Atan", code: runtime.UnaryAtan, types: ewFloats, doc: "arctangent"},
	{op: "Sinh", code: runtime.UnarySinh, types: ewFloats, doc: "hyperbolic sine"},
	{op: "Cosh", code: runtime.UnaryCosh, types: ewFloats, doc: "hyperbolic cosine"},
	{op: "Asinh", code: runtime.UnaryAsinh, types: ewFloats, doc: "inverse hyperbolic sine"},
	{op: "Acosh", code: runtime.UnaryAcosh, types: ewFloats, doc: "inverse hyperbolic cosine"},
	{op: "Atanh", code: runtime.UnaryAtanh, types: ewFloats, doc: "inverse hyperbolic tangent"},
	{op: "Erf", code: runtime.UnaryErf, types: ewNumeric, doc: "error function"},
	{op: "Softplus", code: runtime.UnarySoftplus, types: ewFloats, doc: "log(1+e^x)"},
	{op: "Softsign", code: runtime.UnarySoftsign, types: ewFloats, doc: "x/(1+|x|)"},
	{op: "Elu", code: runtime.UnaryElu, types: ewFloats, alpha: ewAttr{"alpha", 1},
		doc: "x for x >= 0, alpha*(e^x-1) below"},
	{op: "Selu", code: runtime.UnarySelu, types: ewFloats,
		alpha: ewAttr{"alpha", 1.67326319217681884765625}, beta: ewAttr{"gamma", 1.05070102214813232421875},
		doc: "gamma*x for x > 0, gamma*alpha*(e^x-1) otherwise"},
	{op: "Celu", code: runtime.UnaryCelu, types: ewFloats, alpha: ewAttr{"alpha", 1},
		doc: "max(0,x) + min(0, alpha*(e^(x/alpha)-1))"},
	{op: "LeakyRelu", code: runtime.UnaryLeakyRelu, types: ewFloats, alpha: ewAttr{"alpha", 0.01},
		doc: "x for x >= 0, alpha*x below"},
	{op: "ThresholdedRelu", code: runtime.UnaryThresholdedRelu, types: ewFloats, alpha: ewAttr{"alpha", 1},
		doc: "x for x > alpha, 0 otherwise"},
	{op: "Shrink", code: runtime.UnaryShrink, types: ewNumeric,
		alpha: ewAttr{"bias", 0}, beta: ewAttr{"lambd", 0.5}, doc: "x+bias below -lambd, x-bias above lambd, else 0"},
	{op: "Mish", code: runtime.UnaryMish, types: ewFloats, doc: "x*tanh(softplus(x))"},
	{op: "Gelu", code: runtime.UnaryGelu, types: ewFloats, doc: "x*Phi(x), or its tanh approximation (approximate=\"tanh\")"},
	{op: "Swish", code: runtime.UnarySwish, types: ewFloats, alpha: ewAttr{"alpha", 1}, doc: "x*sigmoid(alpha*x)"},
	{op: "IsNaN", code: runtime.UnaryIsNaN, types: ewFloats, doc: "whether x is NaN"},
	{op: "IsInf", code: runtime.UnaryIsInf, types: ewFloats,
		alpha: ewAttr{"detect_negative", 1}, beta: ewAttr{"detect_positive", 1}, doc: "whether x is an infinity"},
	{op: "Not", code: runtime.UnaryNot, types: ewBool, doc: "logical not"},
	{op: "BitwiseNot", code: runtime.UnaryBitwiseNot, types: ewInts, doc: "bitwise complement"},
}

func init() {
	for _, row := range unaryTable {
		row := row
		Register(&Def{
			Op: row.op, MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
			Doc: row.doc,
			Infer: func(n *ir.Node) error {
				t := InType(n, 0)
				if err := ewCheckType(n, "input", t.DType, row.types); err != nil {
					return err
				}
				if _, err := unaryCode(n, row.code); err != nil {
					return err
				}
				if row.code == runtime.UnaryIsNaN || row.code == runtime.UnaryIsInf {
					t.DType = runtime.Bool
				}
				SetOut(n, 0, t)
				return nil
			},
			Lower: func(n *ir.Node) (Call, error) {
				code, err := unaryCode(n, row.code)
				if err != nil {
					return Call{}, err
				}
				p := &runtime.UnaryParams{Op: code}
				if row.alpha.name != "" {
					p.Alpha = n.GetFloat(row.alpha.name, row.alpha.def)
				}
				if row.beta.name != "" {
					p.Beta = n.GetFloat(row.beta.name, row.beta.def)
				}
				return K(lowered.Unary, p), nil
			},
		})
	}
}

// unaryCode is the row's op code, or the variant an attribute selects (Gelu's approximation).
func unaryCode(n *ir.Node, code int) (int, error) {
	if code != runtime.UnaryGelu {
		return code, nil
	}
	switch a := n.GetString("approximate", "none"); a {
	case "none":
		return runtime.UnaryGelu, nil
	case "tanh":
		return runtime.UnaryGeluTanh, nil
	default:
		return 0, Errorf(n, "approximate=%q, want \"none\" or \"tanh\"", a)
	}
}
