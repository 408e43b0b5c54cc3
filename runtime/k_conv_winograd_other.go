//go:build !amd64 || purego

package runtime

// ConvWinograd runs the im2col GEMM on this platform (cvBlkHas is false): the transforms are
// never called.

func wgInAVX512(dst, src *float32, rs, n int) { panic("wgInAVX512: no routine on this platform") }

func wgOutAVX512(dst *float32, rs int, src *float32, n int, bias, z *float32, relu int) {
	panic("wgOutAVX512: no routine on this platform")
}
