module github.com/onnxc/onnxc/examples/vad

go 1.26.0

require github.com/onnxc/onnxc v0.0.0

require (
	github.com/dave/jennifer v1.7.1 // indirect
	golang.org/x/sys v0.50.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

// A copy of this example outside the repository drops this line and names a version above.
replace github.com/onnxc/onnxc => ../..

tool github.com/onnxc/onnxc/cmd/onnxc
