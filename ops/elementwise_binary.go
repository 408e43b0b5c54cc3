package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// The binary family (numpy broadcasting, one kernel) and the variadic family (Sum, Mean, Max,
// Min over any number of inputs).

var binaryTable = []struct {
	op    string
	code  int
	types ewTypes // of the first operand; the second has the same type except for Pow
	doc   string
}{
	{"Add", runtime.BinaryAdd, ewNumeric, "a+b"},
	{"Sub", runtime.BinarySub, ewNumeric, "a-b"},
	{"Mul", runtime.BinaryMul, ewNumeric, "a*b"},
	{"Div", runtime.BinaryDiv, ewNumeric, "a/b (integers truncate)"},
	{"Mod", runtime.BinaryMod, ewNumeric, "remainder: divisor's sign, or dividend's with fmod=1"},
	{"Pow", runtime.BinaryPow, ewNumeric, "a^b, in a's type"},
	{"PRelu", runtime.BinaryPRelu, ewNumeric, "x for x >= 0, slope*x below; slope broadcasts to x"},
	{"BitShift", runtime.BinaryShl, ewUnsigned, "a shifted by b bits, direction LEFT or RIGHT"},
	{"BitwiseAnd", runtime.BinaryBitAnd, ewInts, "bitwise and"},
	{"BitwiseOr", runtime.BinaryBitOr, ewInts, "bitwise or"},
	{"BitwiseXor", runtime.BinaryBitXor, ewInts, "bitwise exclusive or"},
	{"And", runtime.BinaryAnd, ewBool, "logical and"},
	{"Or", runtime.BinaryOr, ewBool, "logical or"},
	{"Xor", runtime.BinaryXor, ewBool, "logical exclusive or"},
	{"Equal", runtime.BinaryEqual, ewAny, "a == b"},
	{"Less", runtime.BinaryLess, ewNumeric, "a < b"},
	{"LessOrEqual", runtime.BinaryLessEqual, ewNumeric, "a <= b"},
	{"Greater", runtime.BinaryGreater, ewNumeric, "a > b"},
	{"GreaterOrEqual", runtime.BinaryGreaterEqual, ewNumeric, "a >= b"},
}

var variadicTable = []struct {
	op    string
	code  int
	types ewTypes
	doc   string
}{
	{"Sum", runtime.VariadicSum, ewNumeric, "elementwise sum of the inputs"},
	{"Mean", runtime.VariadicMean, ewFloats, "elementwise mean of the inputs"},
	{"Max", runtime.VariadicMax, ewNumeric, "elementwise maximum of the inputs (NaN propagates)"},
	{"Min", runtime.VariadicMin, ewNumeric, "elementwise minimum of the inputs (NaN propagates)"},
}

func init() {
	for _, row := range binaryTable {
		row := row
		Register(&Def{
			Op: row.op, MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
			Doc:   row.doc,
			Infer: func(n *ir.Node) error { return inferBinary(n, row.code, row.types) },
			Elems: func(n *ir.Node) []ir.Dim { return elemsBinary(n, row.code) },
			Lower: func(n *ir.Node) (Call, error) {
				code, err := binaryCode(n, row.code)
				if err != nil {
					return Call{}, err
				}
				return K(lowered.Binary, &runtime.BinaryParams{Op: code}), nil
			},
		})
	}
	for _, row := range variadicTable {
		row := row
		Register(&Def{
			Op: row.op, MinIn: 1, MaxIn: -1, MinOut: 1, MaxOut: 1,
			Doc:   row.doc,
			Infer: func(n *ir.Node) error { return inferVariadic(n, row.types) },
			Lower: func(n *ir.Node) (Call, error) {
				return K(lowered.Variadic, &runtime.VariadicParams{Op: row.code}), nil
			},
		})
	}
}

// binaryCode is the row's op code, or the variant an attribute selects (Mod's fmod, BitShift's
// direction).
func binaryCode(n *ir.Node, code int) (int, error) {
	switch code {
	case runtime.BinaryMod:
		switch f := n.GetInt("fmod", 0); f {
		case 0:
			return runtime.BinaryMod, nil
		case 1:
			return runtime.BinaryFmod, nil
		default:
			return 0, Errorf(n, "fmod=%d, want 0 or 1", f)
		}
	case runtime.BinaryShl:
		switch d := n.GetString("direction", ""); d {
		case "LEFT":
			return runtime.BinaryShl, nil
		case "RIGHT":
			return runtime.BinaryShr, nil
		default:
			return 0, Errorf(n, "direction=%q, want \"LEFT\" or \"RIGHT\"", d)
		}
	}
	return code, nil
}

func inferBinary(n *ir.Node, code int, types ewTypes) error {
	ta, tb := InType(n, 0), InType(n, 1)
	if err := ewCheckType(n, "input 0", ta.DType, types); err != nil {
		return err
	}
	if code == runtime.BinaryPow {
		if err := ewCheckType(n, "exponent", tb.DType, ewNumeric); err != nil {
			return err
		}
	} else {
		if err := ewCheckType(n, "input 1", tb.DType, types); err != nil {
			return err
		}
		if ta.DType != runtime.Undefined && tb.DType != runtime.Undefined && ta.DType != tb.DType {
			return Errorf(n, "input types %s and %s differ", ta.DType, tb.DType)
		}
	}
	if _, err := binaryCode(n, code); err != nil {
		return err
	}
	dt := ta.DType
	if dt == runtime.Undefined && code != runtime.BinaryPow {
		dt = tb.DType
	}
	if runtime.BinaryIsCompare(code) {
		dt = runtime.Bool
	}
	if code == runtime.BinaryPRelu {
		return inferPRelu(n, ta, tb)
	}
	t, err := BroadcastTypes(n, dt, ta, tb)
	if err != nil {
		return err
	}
	SetOut(n, 0, t)
	return nil
}

// inferPRelu checks that the slope broadcasts to X's shape (unidirectionally); Y has X's type.
func inferPRelu(n *ir.Node, x, slope ir.Type) error {
	if x.RankKnown && slope.RankKnown {
		if len(slope.Shape) > len(x.Shape) {
			return Errorf(n, "slope of rank %d does not broadcast to X of rank %d", len(slope.Shape), len(x.Shape))
		}
		b, err := BroadcastDims(n, x.Shape, slope.Shape)
		if err != nil {
			return err
		}
		for i, d := range x.Shape {
			if d.IsStatic() && b[i].IsStatic() && d.N != b[i].N {
				return Errorf(n, "slope of shape %v does not broadcast to X's shape %v", slope.Shape, x.Shape)
			}
		}
	}
	if x.DType == runtime.Undefined {
		x.DType = slope.DType
	}
	SetOut(n, 0, x)
	return nil
}

func inferVariadic(n *ir.Node, types ewTypes) error {
	dt := runtime.Undefined
	ts := make([]ir.Type, len(n.Inputs))
	for i := range n.Inputs {
		if n.Inputs[i] == nil {
			return Errorf(n, "input %d is missing", i)
		}
		ts[i] = InType(n, i)
		if err := ewCheckType(n, "input", ts[i].DType, types); err != nil {
			return err
		}
		switch {
		case ts[i].DType == runtime.Undefined:
		case dt == runtime.Undefined:
			dt = ts[i].DType
		case dt != ts[i].DType:
			return Errorf(n, "input types %s and %s differ", dt, ts[i].DType)
		}
	}
	t, err := BroadcastTypes(n, dt, ts...)
	if err != nil {
		return err
	}
	SetOut(n, 0, t)
	return nil
}
