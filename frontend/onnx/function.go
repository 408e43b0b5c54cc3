package onnx

import (
	"errors"
	"fmt"

	"github.com/onnxc/onnxc/frontend/onnx/onnxpb"
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// boundAttr is an attribute of a function call with the context that must interpret it (a graph
// attribute's names resolve in the caller's scope).
type boundAttr struct {
	ap *onnxpb.AttributeProto
	c  *ctx
	sc *scope
}

// callInfo is what a function body's attribute references resolve against.
type callInfo struct {
	attrs map[string]boundAttr
}

// inline imports a call to a model-local function: the body's nodes go into the caller's graph
// with fresh value names, its formal inputs bound to the call's inputs, and the call's outputs
// bound to the body's values.
func (c *ctx) inline(np *onnxpb.NodeProto, fn *onnxpb.FunctionProto, g *ir.Graph, sc *scope) error {
	if c.depth >= maxInlineDepth {
		return fmt.Errorf("function calls nest more than %d deep (recursive function %s?)", maxInlineDepth, fn.GetName())
	}
	call := &callInfo{attrs: map[string]boundAttr{}}
	for _, ap := range fn.AttributeProto {
		call.attrs[ap.GetName()] = boundAttr{ap: ap, c: c, sc: sc}
	}
	for _, ap := range np.Attribute {
		b := boundAttr{ap: ap, c: c, sc: sc}
		if ref := ap.GetRefAttrName(); ref != "" {
			// A call inside a function body passing on its own caller's attribute.
			if c.call == nil {
				return fmt.Errorf("attribute %q refers to %q outside a function body", ap.GetName(), ref)
			}
			r, ok := c.call.attrs[ref]
			if !ok {
				continue
			}
			b = r
		}
		call.attrs[ap.GetName()] = b
	}
	opsets := c.opsets
	if len(fn.OpsetImport) > 0 {
		opsets = make(map[string]int, len(c.opsets))
		for d, v := range c.opsets {
			opsets[d] = v
		}
		for _, o := range fn.OpsetImport {
			if o.GetVersion() <= 0 || o.GetVersion() > 1<<20 {
				return fmt.Errorf("function %s imports invalid opset %d of %q", fn.GetName(), o.GetVersion(), o.GetDomain())
			}
			opsets[normDomain(o.GetDomain())] = int(o.GetVersion())
		}
		if opsets[""] > SupportedOpset {
			return fmt.Errorf("function %s imports ai.onnx opset %d; onnxc knows opsets up to %d", fn.GetName(), opsets[""], SupportedOpset)
		}
	}
	label := np.GetName()
	if label == "" {
		c.imp.calls++
		label = fmt.Sprintf("%s#%d", fn.GetName(), c.imp.calls)
	}
	body := &ctx{imp: c.imp, opsets: opsets, call: call, prefix: c.prefix + label + "/", depth: c.depth + 1}
	// The body sees only its formal parameters, never the caller's other values.
	bsc := newScope(g, nil)
	for _, vi := range fn.ValueInfo {
		bsc.hints[vi.GetName()] = vi.GetType()
	}
	if len(np.Input) > len(fn.Input) {
		return fmt.Errorf("passes %d inputs to function %s, which takes %d", len(np.Input), fn.GetName(), len(fn.Input))
	}
	if len(np.Output) > len(fn.Output) {
		return fmt.Errorf("takes %d outputs from function %s, which has %d", len(np.Output), fn.GetName(), len(fn.Output))
	}
	for i, formal := range fn.Input {
		var v *ir.Value
		if i < len(np.Input) && np.Input[i] != "" {
			var ok bool
			if v, ok = sc.lookup(np.Input[i]); !ok {
				return fmt.Errorf("input %q is not defined", np.Input[i])
			}
		}
		if formal == "" {
			continue
		}
		if err := bsc.define(formal, v); err != nil {
			return fmt.Errorf("function %s: %w", fn.GetName(), err)
		}
	}
	first := c.imp.m.NumValues()
	if err := body.nodes(fn.Node, g, bsc); err != nil {
		return fmt.Errorf("in function %s: %w", fn.GetName(), err)
	}
	for i, name := range np.Output {
		if name == "" {
			continue
		}
		v, ok := bsc.lookup(fn.Output[i])
		if !ok || v == nil {
			return fmt.Errorf("function %s does not define its output %q", fn.GetName(), fn.Output[i])
		}
		// A value the body made takes the caller's name; a formal input passed straight through
		// keeps its own.
		if v.ID >= first && v.Graph == g {
			v.Name = c.prefix + name
		}
		if err := sc.define(name, v); err != nil {
			return err
		}
	}
	return nil
}

// constant turns a Constant node into a constant value.
func (c *ctx) constant(np *onnxpb.NodeProto, attrs []ir.Attr, g *ir.Graph, sc *scope) error {
	if len(np.Output) != 1 || np.Output[0] == "" {
		return fmt.Errorf("has %d outputs, want 1", len(np.Output))
	}
	if len(attrs) != 1 {
		return fmt.Errorf("has %d value attributes, want exactly 1", len(attrs))
	}
	t, err := constValue(attrs[0])
	if err != nil {
		return err
	}
	name := np.Output[0]
	return sc.define(name, g.AddConst(c.prefix+name, t))
}

// constValue is the tensor a Constant's attribute describes.
func constValue(a ir.Attr) (*runtime.Tensor, error) {
	want := map[string]ir.AttrKind{
		"value": ir.AttrTensor, "sparse_value": ir.AttrTensor,
		"value_float": ir.AttrFloat, "value_floats": ir.AttrFloats,
		"value_int": ir.AttrInt, "value_ints": ir.AttrInts,
		"value_string": ir.AttrString, "value_strings": ir.AttrStrings,
	}
	k, ok := want[a.Name]
	if !ok {
		return nil, fmt.Errorf("has unknown attribute %q", a.Name)
	}
	if a.Kind != k {
		return nil, fmt.Errorf("attribute %q is %s, want %s", a.Name, a.Kind, k)
	}
	switch a.Name {
	case "value", "sparse_value":
		if a.Tensor == nil {
			return nil, errors.New("has no tensor")
		}
		return a.Tensor, nil
	case "value_float":
		t := runtime.New(runtime.Float32)
		runtime.Data[float32](t)[0] = float32(a.Float)
		return t, nil
	case "value_floats":
		t := runtime.New(runtime.Float32, len(a.Floats))
		for i, f := range a.Floats {
			runtime.Data[float32](t)[i] = float32(f)
		}
		return t, nil
	case "value_int":
		t := runtime.New(runtime.Int64)
		runtime.Data[int64](t)[0] = a.Int
		return t, nil
	case "value_ints":
		t := runtime.New(runtime.Int64, len(a.Ints))
		copy(runtime.Data[int64](t), a.Ints)
		return t, nil
	case "value_string":
		t := runtime.New(runtime.String)
		t.Strs[0] = a.Str
		return t, nil
	default: // value_strings
		t := runtime.New(runtime.String, len(a.Strings))
		copy(t.Strs, a.Strings)
		return t, nil
	}
}
