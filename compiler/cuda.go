package compiler

import (
	"fmt"
	"go/token"
	"path/filepath"

	"github.com/onnxc/onnxc/codegen/cuda"
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/ops"
)

// GenerateCUDA produces the files of the CUDA package (codegen/cuda) for an optimized model,
// with the report of which kernels run on the GPU.
func GenerateCUDA(m *ir.Model, pkg, source string, t cuda.Target) (map[string][]byte, *cuda.Report, error) {
	if pkg == "" {
		pkg = PackageName(source)
	}
	if !token.IsIdentifier(pkg) || pkg == "_" {
		return nil, nil, fmt.Errorf("package name %q is not a Go identifier (letters, digits and _, not a keyword)", pkg)
	}
	p, err := ops.LowerModel(m)
	if err != nil {
		return nil, nil, err
	}
	files, r, err := cuda.GeneratePackage(p, cuda.Options{Package: pkg, Source: filepath.Base(source), Target: t})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", source, err)
	}
	return files, r, nil
}

// PlaceCUDA says where each kernel of an optimized model would run with --target cuda.
func PlaceCUDA(m *ir.Model, t cuda.Target) (*cuda.Report, error) {
	p, err := ops.LowerModel(m)
	if err != nil {
		return nil, err
	}
	return cuda.Place(p, t)
}
