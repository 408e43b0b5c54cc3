module github.com/onnxc/onnxc

go 1.26.0

require (
	github.com/dave/jennifer v1.7.1
	google.golang.org/protobuf v1.36.12
)

require golang.org/x/sys v0.50.0 // indirect
