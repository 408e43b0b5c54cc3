package gogen

import (
	"fmt"
	"reflect"

	"github.com/onnxc/onnxc/ir"
)

// ParamLiteral is a kernel's parameter struct (lowered.Kernel.Params, a pointer) as a Go
// expression of its address, for other backends' generated code, which must import the runtime
// package under its own name, runtime; "nil" for nil or empty parameters.
func ParamLiteral(params any) (string, error) {
	v := reflect.ValueOf(params)
	if !v.IsValid() || v.IsNil() || v.Elem().Type().NumField() == 0 {
		return "nil", nil
	}
	lit, err := literal(v.Elem())
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("&%#v", lit), nil
}

// FieldNames are the Inputs and Outputs field names the generated package gives the values.
func FieldNames(vals []*ir.Value, fallback string) []string { return fieldNames(vals, fallback) }
