package gogen

import (
	"fmt"
	"math"
	"reflect"
	"strconv"

	"github.com/dave/jennifer/jen"

	"github.com/onnxc/onnxc/runtime"
)

const rtPath = "github.com/onnxc/onnxc/runtime"

var dtypeConst = map[runtime.DType]string{
	runtime.Float32: "Float32", runtime.Uint8: "Uint8", runtime.Int8: "Int8", runtime.Uint16: "Uint16",
	runtime.Int16: "Int16", runtime.Int32: "Int32", runtime.Int64: "Int64", runtime.String: "String",
	runtime.Bool: "Bool", runtime.Float16: "Float16", runtime.Float64: "Float64", runtime.Uint32: "Uint32",
	runtime.Uint64: "Uint64", runtime.BFloat16: "BFloat16", runtime.Undefined: "Undefined",
}

func dtypeCode(d runtime.DType) jen.Code {
	if name, ok := dtypeConst[d]; ok {
		return jen.Qual(rtPath, name)
	}
	return jen.Qual(rtPath, "DType").Call(jen.Lit(int(d)))
}

var dtypeType = reflect.TypeOf(runtime.DType(0))

// literal prints a kernel parameter value as Go source. Params are plain data (see ops.Call),
// so reflection here runs at compile time only.
func literal(v reflect.Value) (jen.Code, error) {
	if v.Type() == dtypeType {
		return dtypeCode(runtime.DType(v.Uint())), nil
	}
	// Enums of the runtime print as their constants (rt.ActHardSwish, rt.PoolMax).
	if v.Type().PkgPath() == rtPath && v.CanInterface() {
		if named, ok := v.Interface().(interface{ GoName() string }); ok && named.GoName() != "" {
			return jen.Qual(rtPath, named.GoName()), nil
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return jen.Nil(), nil
		}
		inner, err := literal(v.Elem())
		if err != nil {
			return nil, err
		}
		return jen.Op("&").Add(inner), nil
	case reflect.Struct:
		t := v.Type()
		if t.PkgPath() != rtPath && t.Name() != "" {
			return nil, fmt.Errorf("kernel parameter type %s is not from package runtime", t)
		}
		dict := jen.Dict{}
		for i := 0; i < t.NumField(); i++ {
			f := v.Field(i)
			if !t.Field(i).IsExported() {
				return nil, fmt.Errorf("kernel parameter type %s has unexported field %s", t, t.Field(i).Name)
			}
			if f.IsZero() {
				continue
			}
			c, err := literal(f)
			if err != nil {
				return nil, err
			}
			dict[jen.Id(t.Field(i).Name)] = c
		}
		if t.Name() == "" {
			return jen.Struct().Values(dict), nil
		}
		return jen.Qual(rtPath, t.Name()).Values(dict), nil
	case reflect.Slice:
		if v.IsNil() {
			return jen.Nil(), nil
		}
		elems := make([]jen.Code, v.Len())
		for i := range elems {
			c, err := literal(v.Index(i))
			if err != nil {
				return nil, err
			}
			elems[i] = c
		}
		typ, err := typeCode(v.Type().Elem())
		if err != nil {
			return nil, err
		}
		return jen.Index().Add(typ).Values(elems...), nil
	case reflect.Float32:
		return floatLit(v.Float(), 32), nil
	case reflect.Float64:
		return floatLit(v.Float(), 64), nil
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Int16, reflect.Int8:
		// Parameters sit in typed contexts (struct fields, slice elements), so a bare
		// constant is exact and reads best.
		return jen.Op(strconv.FormatInt(v.Int(), 10)), nil
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return jen.Op(strconv.FormatUint(v.Uint(), 10)), nil
	case reflect.Bool:
		return jen.Lit(v.Bool()), nil
	case reflect.String:
		return jen.Lit(v.String()), nil
	}
	return nil, fmt.Errorf("kernel parameter of kind %s cannot be printed", v.Kind())
}

func typeCode(t reflect.Type) (jen.Code, error) {
	if t == dtypeType {
		return jen.Qual(rtPath, "DType"), nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if t.PkgPath() == rtPath {
			return jen.Qual(rtPath, t.Name()), nil
		}
	case reflect.Slice:
		e, err := typeCode(t.Elem())
		if err != nil {
			return nil, err
		}
		return jen.Index().Add(e), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint8,
		reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64, reflect.Bool, reflect.String:
		if t.PkgPath() == "" {
			return jen.Id(t.Name()), nil
		}
	}
	return nil, fmt.Errorf("kernel parameter type %s cannot be printed", t)
}

// floatLit prints a float exactly: finite values in Go's shortest round-trip form, and
// infinities and NaN through math.
func floatLit(f float64, bits int) jen.Code {
	typ := "float64"
	if bits == 32 {
		typ = "float32"
	}
	switch {
	case math.IsNaN(f):
		return jen.Id(typ).Call(jen.Qual("math", "NaN").Call())
	case math.IsInf(f, 1):
		return jen.Id(typ).Call(jen.Qual("math", "Inf").Call(jen.Lit(1)))
	case math.IsInf(f, -1):
		return jen.Id(typ).Call(jen.Qual("math", "Inf").Call(jen.Lit(-1)))
	case f == 0 && math.Signbit(f):
		return jen.Id(typ).Call(jen.Qual("math", "Copysign").Call(jen.Lit(0), jen.Lit(-1)))
	}
	// Go's shortest round-trip form; as an untyped constant in a typed context it converts
	// back to exactly the same value.
	if bits == 32 {
		return jen.Op(strconv.FormatFloat(f, 'g', -1, 32))
	}
	return jen.Op(strconv.FormatFloat(f, 'g', -1, 64))
}
