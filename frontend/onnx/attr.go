package onnx

import (
	"fmt"

	"github.com/onnxc/onnxc/frontend/onnx/onnxpb"
	"github.com/onnxc/onnxc/ir"
)

// kindOf is an attribute's type, inferred from the field that is set when the type field is
// absent (files written before the type field existed).
func kindOf(ap *onnxpb.AttributeProto) onnxpb.AttributeProto_AttributeType {
	if ap.Type != nil && ap.GetType() != onnxpb.AttributeProto_UNDEFINED {
		return ap.GetType()
	}
	switch {
	case ap.F != nil:
		return onnxpb.AttributeProto_FLOAT
	case ap.I != nil:
		return onnxpb.AttributeProto_INT
	case ap.S != nil:
		return onnxpb.AttributeProto_STRING
	case ap.T != nil:
		return onnxpb.AttributeProto_TENSOR
	case ap.G != nil:
		return onnxpb.AttributeProto_GRAPH
	case ap.SparseTensor != nil:
		return onnxpb.AttributeProto_SPARSE_TENSOR
	case ap.Tp != nil:
		return onnxpb.AttributeProto_TYPE_PROTO
	case len(ap.Floats) > 0:
		return onnxpb.AttributeProto_FLOATS
	case len(ap.Ints) > 0:
		return onnxpb.AttributeProto_INTS
	case len(ap.Strings) > 0:
		return onnxpb.AttributeProto_STRINGS
	case len(ap.Tensors) > 0:
		return onnxpb.AttributeProto_TENSORS
	case len(ap.Graphs) > 0:
		return onnxpb.AttributeProto_GRAPHS
	case len(ap.SparseTensors) > 0:
		return onnxpb.AttributeProto_SPARSE_TENSORS
	case len(ap.TypeProtos) > 0:
		return onnxpb.AttributeProto_TYPE_PROTOS
	}
	return onnxpb.AttributeProto_UNDEFINED
}

// attrs converts a node's attributes. Inside an inlined function body, an attribute that refers
// to the call's attribute (ref_attr_name) takes its value, or is left out when the call has none.
// Graph attributes become regions of g whose names resolve through sc.
func (c *ctx) attrs(np *onnxpb.NodeProto, g *ir.Graph, sc *scope) ([]ir.Attr, error) {
	var out []ir.Attr
	seen := map[string]bool{}
	for _, ap := range np.Attribute {
		name := ap.GetName()
		if name == "" {
			return nil, fmt.Errorf("has an attribute without a name")
		}
		if seen[name] {
			return nil, fmt.Errorf("has attribute %q twice", name)
		}
		seen[name] = true
		src, srcCtx, srcScope := ap, c, sc
		if ref := ap.GetRefAttrName(); ref != "" {
			if c.call == nil {
				return nil, fmt.Errorf("attribute %q refers to %q outside a function body", name, ref)
			}
			r, ok := c.call.attrs[ref]
			if !ok {
				continue // the call leaves it to the op's default
			}
			src, srcCtx, srcScope = r.ap, r.c, r.sc
		}
		a, err := srcCtx.attr(name, src, g, srcScope)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// attr converts one attribute value, named name.
func (c *ctx) attr(name string, ap *onnxpb.AttributeProto, g *ir.Graph, sc *scope) (ir.Attr, error) {
	switch k := kindOf(ap); k {
	case onnxpb.AttributeProto_FLOAT:
		return ir.Float(name, float64(ap.GetF())), nil
	case onnxpb.AttributeProto_INT:
		return ir.Int(name, ap.GetI()), nil
	case onnxpb.AttributeProto_STRING:
		return ir.String(name, string(ap.GetS())), nil
	case onnxpb.AttributeProto_FLOATS:
		fs := make([]float64, len(ap.Floats))
		for i, f := range ap.Floats {
			fs[i] = float64(f)
		}
		return ir.Floats(name, fs...), nil
	case onnxpb.AttributeProto_INTS:
		return ir.Ints(name, append([]int64(nil), ap.Ints...)...), nil
	case onnxpb.AttributeProto_STRINGS:
		ss := make([]string, len(ap.Strings))
		for i, s := range ap.Strings {
			ss[i] = string(s)
		}
		return ir.Strings(name, ss...), nil
	case onnxpb.AttributeProto_TENSOR:
		t, err := c.imp.tensor(ap.T)
		if err != nil {
			return ir.Attr{}, err
		}
		return ir.TensorAttr(name, t), nil
	case onnxpb.AttributeProto_SPARSE_TENSOR:
		t, err := c.imp.sparse(ap.SparseTensor)
		if err != nil {
			return ir.Attr{}, err
		}
		return ir.TensorAttr(name, t), nil
	case onnxpb.AttributeProto_GRAPH:
		if ap.G == nil {
			return ir.Attr{}, fmt.Errorf("is a graph attribute without a graph")
		}
		r, err := c.region(ap.G, name, g, sc)
		if err != nil {
			return ir.Attr{}, err
		}
		return ir.GraphAttr(name, r), nil
	case onnxpb.AttributeProto_TYPE_PROTO:
		t, err := irType(ap.Tp)
		if err != nil {
			return ir.Attr{}, err
		}
		return ir.Attr{Name: name, Kind: ir.AttrType, Type: t}, nil
	case onnxpb.AttributeProto_UNDEFINED:
		return ir.Attr{}, fmt.Errorf("has no value")
	default:
		// The IR has no list-of-tensors, list-of-graphs or list-of-types attribute; no op of
		// ai.onnx uses one.
		return ir.Attr{}, fmt.Errorf("is a %s attribute, which onnxc does not support", k)
	}
}
