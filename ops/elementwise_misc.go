package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Where (three-way broadcast select) and Clip (optional scalar bounds as inputs 1 and 2).

func init() {
	Register(&Def{
		Op: "Where", MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Doc: "X where the condition holds, Y elsewhere (broadcast)",
		Infer: func(n *ir.Node) error {
			c, a, b := InType(n, 0), InType(n, 1), InType(n, 2)
			if err := ewCheckType(n, "condition", c.DType, ewBool); err != nil {
				return err
			}
			for i, t := range []ir.Type{a, b} {
				if err := ewCheckType(n, []string{"X", "Y"}[i], t.DType, ewAny); err != nil {
					return err
				}
			}
			dt := a.DType
			switch {
			case dt == runtime.Undefined:
				dt = b.DType
			case b.DType != runtime.Undefined && b.DType != dt:
				return Errorf(n, "X and Y types %s and %s differ", a.DType, b.DType)
			}
			t, err := BroadcastTypes(n, dt, c, a, b)
			if err != nil {
				return err
			}
			SetOut(n, 0, t)
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) { return K(lowered.Where, &runtime.WhereParams{}), nil },
	})
	Register(&Def{
		Op: "Clip", MinIn: 1, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Doc: "x limited to [min, max]; either bound optional",
		Infer: func(n *ir.Node) error {
			t := InType(n, 0)
			if err := ewCheckType(n, "input", t.DType, ewNumeric); err != nil {
				return err
			}
			for i := 1; i <= 2; i++ {
				v := n.Input(i)
				if v == nil {
					continue
				}
				bt := v.Type
				if bt.DType != runtime.Undefined && t.DType != runtime.Undefined && bt.DType != t.DType {
					return Errorf(n, "bound %d has type %s, input has %s", i, bt.DType, t.DType)
				}
				if shape, ok := bt.StaticShape(); ok && runtime.NumElems(shape) > 1 {
					return Errorf(n, "bound %d of shape %v is not a scalar", i, shape)
				}
			}
			SetOut(n, 0, t)
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) { return K(lowered.Clip, &runtime.ClipParams{}), nil },
	})
}
