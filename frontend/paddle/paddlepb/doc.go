// Package paddlepb holds the Go types of our description of Paddle's ProgramDesc format.
// framework.pb.go is generated and committed, so building onnxc needs no protoc.
package paddlepb

//go:generate protoc --go_out=. --go_opt=paths=source_relative framework.proto
