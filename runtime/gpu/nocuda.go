//go:build !cuda

package gpu

// Available reports whether this binary was built with the cuda tag.
const Available = false
