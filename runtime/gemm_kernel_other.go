//go:build !amd64 || purego

package runtime

// sgemmKernel2x4 computes the 2x4 block c = (or +=) ap * bp over depth kc, ap being a packed
// A panel (kc x 2) and bp a packed B panel (kc x 4): the Go kernel, where no assembly one exists.
func sgemmKernel2x4(kc int, ap, bp, c []float32, ldc int, store bool) {
	sgemmKernel2x4Go(kc, ap, bp, c, ldc, store)
}

// sgemmBlock computes the mc x nc block C (+)= A * B over depth kc from the packed panels pa
// and pb (see sgemmBlock2x4); c starts at the block's first element.
func sgemmBlock(kc, mc, nc int, pa, pb, c []float32, ldc int, store bool, tmp []float32) {
	sgemmBlock2x4(kc, pa, pb, c, ldc, store, tmp, 0, mc, 0, nc)
}
