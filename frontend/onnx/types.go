package onnx

import (
	"errors"
	"fmt"

	"github.com/onnxc/onnxc/frontend/onnx/onnxpb"
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// irType converts a TypeProto. A missing type, element type or shape is unknown, not an error:
// shape inference fills it in. Element types runtime.DType lacks (complex) are kept by
// number so that the error, if an op meets one, names the type.
func irType(tp *onnxpb.TypeProto) (ir.Type, error) {
	if tp == nil {
		return ir.Type{}, nil
	}
	switch v := tp.Value.(type) {
	case nil:
		return ir.Type{}, nil
	case *onnxpb.TypeProto_TensorType:
		return tensorType(v.TensorType.GetElemType(), v.TensorType.GetShape())
	case *onnxpb.TypeProto_SequenceType:
		return wrapType(ir.SequenceKind, v.SequenceType.GetElemType())
	case *onnxpb.TypeProto_OptionalType:
		return wrapType(ir.OptionalKind, v.OptionalType.GetElemType())
	case *onnxpb.TypeProto_MapType:
		return ir.Type{}, errors.New("has a map type, which onnxc does not support")
	case *onnxpb.TypeProto_SparseTensorType:
		return ir.Type{}, errors.New("has a sparse tensor type, which onnxc does not support")
	case *onnxpb.TypeProto_OpaqueType:
		return ir.Type{}, errors.New("has an opaque type, which onnxc does not support")
	}
	return ir.Type{}, fmt.Errorf("has an unknown kind of type %T", tp.Value)
}

func wrapType(kind ir.Kind, elem *onnxpb.TypeProto) (ir.Type, error) {
	t := ir.Type{Kind: kind}
	if elem != nil {
		e, err := irType(elem)
		if err != nil {
			return ir.Type{}, err
		}
		t.Elem = &e
	}
	return t, nil
}

func tensorType(elem int32, shape *onnxpb.TensorShapeProto) (ir.Type, error) {
	if elem < 0 || elem > 255 {
		return ir.Type{}, fmt.Errorf("has invalid element type %d", elem)
	}
	t := ir.Type{Kind: ir.TensorKind, DType: runtime.DType(elem)}
	if shape == nil {
		return t, nil
	}
	t.RankKnown = true
	t.Shape = make([]ir.Dim, len(shape.Dim))
	for i, d := range shape.Dim {
		switch v := d.Value.(type) {
		case *onnxpb.TensorShapeProto_Dimension_DimValue:
			// Some old exporters write -1 for a dynamic dim; that is an unknown dim.
			if v.DimValue >= 0 {
				t.Shape[i] = ir.Static(v.DimValue)
			} else {
				t.Shape[i] = ir.Unknown()
			}
		case *onnxpb.TensorShapeProto_Dimension_DimParam:
			if v.DimParam != "" {
				t.Shape[i] = ir.Symbol(v.DimParam)
			} else {
				t.Shape[i] = ir.Unknown()
			}
		default:
			t.Shape[i] = ir.Unknown()
		}
	}
	return t, nil
}

// known reports whether an import-time type says anything (a hint worth keeping).
func known(t ir.Type) bool {
	return t.Kind != ir.TensorKind || t.DType != 0 || t.RankKnown
}
