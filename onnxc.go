// Package onnxc is the root of the onnxc compiler. It carries the runtime's source so that the
// onnxc command can build generated packages without a checkout of this repository or network
// access: it writes the runtime beside them as a local module.
package onnxc

import "embed"

// RuntimeSource holds runtime/*.go and the assembly runtime/*.s (tests are skipped when
// written out).
//
//go:embed runtime/*.go runtime/*.s
var RuntimeSource embed.FS

// GoVersion is the go directive of the modules onnxc writes.
const GoVersion = "1.26"
