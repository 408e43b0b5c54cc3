// Package onnxpb holds the Go types of the ONNX file format, generated from onnx.proto (onnxc's
// own description of the format, with the specification's field numbers). The generated file is
// committed so that building onnxc needs no protoc.
//
// The file is registered under its path from the repository root and the package onnxc.onnx, so
// that a program may also link the official ONNX Go types without a registry conflict.
package onnxpb

//go:generate protoc --proto_path=../../.. --go_out=../../.. --go_opt=paths=source_relative frontend/onnx/onnxpb/onnx.proto
