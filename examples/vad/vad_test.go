package main

import (
	"context"
	"testing"
)

// TestPushAllocatesNothing: the model's shapes are static, so once warm a chunk costs no
// allocation, which a stream running for hours relies on.
func TestPushAllocatesNothing(t *testing.T) {
	d, err := NewDetector(0.5)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	chunk := make([]float32, ChunkSamples)
	if _, _, err := d.Push(context.Background(), chunk); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(50, func() { d.Push(context.Background(), chunk) }); n != 0 {
		t.Errorf("%v allocations per warm Push, want 0", n)
	}
}
