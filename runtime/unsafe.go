package runtime

import "unsafe"

func sizeOf[T any](z T) uintptr { return unsafe.Sizeof(z) }

// bytesAs views the first n elements of b as a []T; b must be 8-byte aligned (Buffer storage is).
func bytesAs[T any](b []byte, n int) []T {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), n)
}
