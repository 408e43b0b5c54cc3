package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Linear quantization: QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear. The quantized
// types are the 2- to 16-bit integers (int32 too for DequantizeLinear) and the float8 and float4
// types; QuantizeLinear's saturate applies to the float ones.

func init() {
	Register(&Def{
		Op: "QuantizeLinear", MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Doc:   "saturate(round(x / scale) + zero_point), per tensor, per axis or blocked",
		Infer: inferQuantize,
		Lower: func(n *ir.Node) (Call, error) {
			dt, err := qzOutType(n)
			if err != nil {
				return Call{}, err
			}
			return K(lowered.QuantizeLinear, &runtime.QuantizeLinearParams{
				Axis:       int(n.GetInt("axis", 1)),
				BlockSize:  int(n.GetInt("block_size", 0)),
				OutputType: dt,
				Precision:  runtime.DType(n.GetInt("precision", 0)),
				NoSaturate: n.GetInt("saturate", 1) == 0,
			}), nil
		},
	})
	Register(&Def{
		Op: "DequantizeLinear", MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Doc:   "(x - zero_point) * scale, per tensor, per axis or blocked",
		Infer: inferDequantize,
		Lower: func(n *ir.Node) (Call, error) {
			return K(lowered.DequantizeLinear, &runtime.DequantizeLinearParams{
				Axis:       int(n.GetInt("axis", 1)),
				BlockSize:  int(n.GetInt("block_size", 0)),
				OutputType: runtime.DType(n.GetInt("output_dtype", 0)),
			}), nil
		},
	})
	Register(&Def{
		Op: "DynamicQuantizeLinear", MinIn: 1, MaxIn: 1, MinOut: 3, MaxOut: 3,
		Doc: "uint8 quantization with the scale and zero point of the input's range",
		Infer: func(n *ir.Node) error {
			xt := InType(n, 0)
			switch xt.DType {
			case runtime.Undefined, runtime.Float32, runtime.Float16, runtime.BFloat16:
			default:
				return Errorf(n, "input type %s, want float32", xt.DType)
			}
			y := xt
			y.DType = runtime.Uint8
			SetOut(n, 0, y)
			SetOut(n, 1, ir.TensorType(xt.DType))
			SetOut(n, 2, ir.TensorType(runtime.Uint8))
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) { return K(lowered.DynamicQuantizeLinear, &struct{}{}), nil },
	})
}

// qzQuantType reports whether the runtime can hold quantized values of type dt.
func qzQuantType(dt ir.DType) bool {
	switch dt {
	case runtime.Int8, runtime.Uint8, runtime.Int16, runtime.Uint16:
		return true
	}
	return ewNarrow.has(dt)
}

// qzOutType is QuantizeLinear's output type: the zero point's, else output_dtype, else uint8.
func qzOutType(n *ir.Node) (ir.DType, error) {
	attr := runtime.DType(n.GetInt("output_dtype", 0))
	dt := attr
	if n.Input(2) != nil {
		z := InType(n, 2).DType
		if attr != runtime.Undefined && z != runtime.Undefined && z != attr {
			return 0, Errorf(n, "output_dtype %s differs from the zero point's type %s", attr, z)
		}
		if z != runtime.Undefined {
			dt = z
		}
	}
	if dt == runtime.Undefined {
		dt = runtime.Uint8
	}
	if !qzQuantType(dt) {
		return 0, Errorf(n, "quantized type %s is not supported", dt)
	}
	return dt, nil
}

// qzCheckScale checks the scale's shape against x's for the axis and block_size attributes.
func qzCheckScale(n *ir.Node, x, s ir.Type) error {
	if !x.RankKnown || !s.RankKnown {
		return nil
	}
	block := n.GetInt("block_size", 0)
	per := len(s.Shape) > 0 && !(len(s.Shape) == 1 && s.Shape[0].N == 1)
	if !per && block <= 0 {
		return nil
	}
	axis, err := NormAxis(n, n.GetInt("axis", 1), len(x.Shape))
	if err != nil {
		return err
	}
	if block <= 0 {
		if len(s.Shape) != 1 {
			return Errorf(n, "scale %v is neither a scalar nor a vector (and block_size is not set)", s)
		}
		if d, e := s.Shape[0], x.Shape[axis]; d.IsStatic() && e.IsStatic() && d.N != e.N {
			return Errorf(n, "scale %v does not match dim %d of %v", s, axis, x)
		}
		return nil
	}
	if len(s.Shape) != len(x.Shape) {
		return Errorf(n, "blocked scale %v does not match the rank of %v", s, x)
	}
	return nil
}

func inferQuantize(n *ir.Node) error {
	xt, st := InType(n, 0), InType(n, 1)
	switch xt.DType {
	case runtime.Undefined, runtime.Float32, runtime.Float16, runtime.BFloat16, runtime.Float64, runtime.Int32:
	default:
		return Errorf(n, "input type %s is not supported", xt.DType)
	}
	if !cvIsFloat(st.DType) && st.DType != runtime.Int32 {
		return Errorf(n, "scale type %s is not a float type", st.DType)
	}
	dt, err := qzOutType(n)
	if err != nil {
		return err
	}
	if err := qzCheckScale(n, xt, st); err != nil {
		return err
	}
	y := xt
	y.DType = dt
	SetOut(n, 0, y)
	return nil
}

func inferDequantize(n *ir.Node) error {
	xt, st := InType(n, 0), InType(n, 1)
	if xt.DType != runtime.Undefined && xt.DType != runtime.Int32 && !qzQuantType(xt.DType) {
		return Errorf(n, "quantized type %s is not supported", xt.DType)
	}
	if z := InType(n, 2); n.Input(2) != nil && z.DType != runtime.Undefined && xt.DType != runtime.Undefined && z.DType != xt.DType {
		return Errorf(n, "zero point type %s differs from input type %s", z.DType, xt.DType)
	}
	if !cvIsFloat(st.DType) {
		return Errorf(n, "scale type %s is not a float type", st.DType)
	}
	dt := st.DType
	if o := runtime.DType(n.GetInt("output_dtype", 0)); o != runtime.Undefined {
		if !o.IsFloat() {
			return Errorf(n, "output_dtype %s is not a float type", o)
		}
		dt = o
	}
	if err := qzCheckScale(n, xt, st); err != nil {
		return err
	}
	y := xt
	y.DType = dt
	SetOut(n, 0, y)
	return nil
}
