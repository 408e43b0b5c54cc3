//go:build amd64 && !purego

package runtime

import "testing"

// TestDepthwiseAVX2 runs the depthwise, ConvDot and pooling tests on the AVX2 loops where the CPU would pick AVX-512.
func TestDepthwiseAVX2(t *testing.T) {
	if !dwHasAVX2 {
		t.Skip("no AVX2/FMA")
	}
	t.Logf("AVX-512 %v, AVX2/FMA %v", dwHasAVX512, dwHasAVX2)
	defer func(v bool) { dwHasAVX512 = v }(dwHasAVX512)
	dwHasAVX512 = false
	TestDepthwiseRow(t)
	TestDwEvens(t)
	TestConvStaticEntries(t)
	TestConvDepthwiseKernels(t)
	TestConvDot(t)
	TestPoolRandom(t)
	TestMaxPoolNaN(t)
}
