//go:build amd64 && !purego

package runtime

// The Winograd convolution's transforms (k_conv_winograd_amd64.s), on tiles in the blocked
// layout, 16 channels to a ZMM register.

// wgInAVX512 writes the input transform Bᵀ d B of n tiles side by side: tile i's 4x4 input
// pixels start at src + 2i pixels, rows rs bytes apart; its 16 transformed vectors go to
// dst + 16i vectors, element (r, c) at vector 4r + c.
//
//go:noescape
func wgInAVX512(dst, src *float32, rs, n int)

// wgOutAVX512 writes the output transform Aᵀ m A of n tiles side by side, plus bias (16
// channels), plus z (when not nil, at the same offsets as dst), then max(0, ·) when relu is 1:
// tile i's 16 vectors start at src + 16i vectors, and its 2x2 output pixels at dst + 2i pixels,
// rows rs bytes apart.
//
//go:noescape
func wgOutAVX512(dst *float32, rs int, src *float32, n int, bias, z *float32, relu int)
