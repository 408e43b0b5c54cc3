// Package mains holds the sources of the driver programs onnxc builds around generated
// packages; they are data to the compiler (build-ignored), embedded here.
package mains

import _ "embed"

// Bin is the main program of `onnxc build --bin`, `onnxc run` and `onnxc bench`.
//
//go:embed binmain.go
var Bin string

// Test is the main program that `onnxc test` links its cases into.
//
//go:embed testmain.go
var Test string
