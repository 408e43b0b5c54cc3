package ops

import (
	"fmt"
	"reflect"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Interpret runs graph g on the reference kernels, one node at a time. It is the oracle for
// tests of passes and generated code, never what a user's program runs. env maps value ids to
// tensors of values defined outside g (for regions); inputs are g's inputs in order.
func Interpret(x *runtime.Exec, g *ir.Graph, inputs []*runtime.Tensor, env map[int]*runtime.Tensor) ([]*runtime.Tensor, error) {
	vals := map[int]*runtime.Tensor{}
	for k, v := range env {
		vals[k] = v
	}
	for i, in := range g.Inputs {
		switch {
		case i < len(inputs) && inputs[i] != nil:
			vals[in.ID] = inputs[i]
		case in.Default != nil:
			vals[in.ID] = in.Default
		default:
			return nil, fmt.Errorf("input %q not given", in.Name)
		}
	}
	for _, c := range g.Consts {
		vals[c.ID] = c.Const
	}
	for _, n := range g.Nodes {
		d, err := Of(n)
		if err != nil {
			return nil, err
		}
		call, err := d.Lower(n)
		if err != nil {
			return nil, err
		}
		bindBodies(call, func(r *ir.Graph) runtime.Body {
			return func(out, in []*runtime.Tensor) error {
				res, err := Interpret(x, r, in, vals)
				if err != nil {
					return err
				}
				for i := range out {
					out[i].CopyFrom(res[i])
				}
				return nil
			}
		})
		in := make([]*runtime.Tensor, len(n.Inputs))
		for i, v := range n.Inputs {
			if v != nil {
				t, ok := vals[v.ID]
				if !ok {
					return nil, fmt.Errorf("%s: input %d (%s) has no value", n.Describe(), i, v.Name)
				}
				in[i] = t
			}
		}
		out := make([]*runtime.Tensor, len(n.Outputs))
		for i := range out {
			out[i] = &runtime.Tensor{Buf: &runtime.Buffer{}}
		}
		if err := call.Run(x, out, in); err != nil {
			return nil, fmt.Errorf("%s: %w", n.Describe(), err)
		}
		for i, v := range n.Outputs {
			if v != nil {
				vals[v.ID] = out[i]
			}
		}
	}
	res := make([]*runtime.Tensor, len(g.Outputs))
	for i, o := range g.Outputs {
		res[i] = vals[o.ID]
	}
	return res, nil
}

// bindBodies sets the call's Body fields to functions made by bind.
func bindBodies(c Call, bind func(*ir.Graph) runtime.Body) {
	if len(c.Bodies) == 0 {
		return
	}
	v := reflect.ValueOf(c.Params).Elem()
	for i, name := range lowered.BodyFields(c.Params) {
		if i < len(c.Bodies) && c.Bodies[i] != nil {
			v.FieldByName(name).Set(reflect.ValueOf(bind(c.Bodies[i])))
		}
	}
}
