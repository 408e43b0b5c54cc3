// Command vad prints the speech segments of a WAV file (16 kHz, mono, 16-bit PCM) found by
// the Silero voice activity detector, compiled ahead of time to Go by onnxc:
//
//	vad [-threshold 0.5] FILE.wav
//
// prints one line per segment: its start and end in seconds.
package main

// go generate compiles the model into package silero; see README.md.
//go:generate go tool onnxc build ../../testdata/models/silero_vad_v5.onnx -o silero -pkg silero --shape input=1x576 --shape state=2x1x128

import (
	"context"
	"flag"
	"fmt"
	"os"
)

func main() {
	threshold := flag.Float64("threshold", 0.5, "a chunk is speech when its probability is at least this")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: vad [-threshold P] FILE.wav\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), float32(*threshold)); err != nil {
		fmt.Fprintln(os.Stderr, "vad:", err)
		os.Exit(1)
	}
}

func run(path string, threshold float32) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	samples, err := readWAV(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	d, err := NewDetector(threshold)
	if err != nil {
		return err
	}
	defer d.Close()
	// Feed the file as a stream would arrive: chunk by chunk, printing each segment as it ends.
	for len(samples) >= ChunkSamples {
		seg, ok, err := d.Push(context.Background(), samples[:ChunkSamples])
		if err != nil {
			return err
		}
		if ok {
			fmt.Printf("%.2f-%.2f\n", seg.Start, seg.End)
		}
		samples = samples[ChunkSamples:]
	}
	if seg, ok := d.Flush(); ok {
		fmt.Printf("%.2f-%.2f\n", seg.Start, seg.End)
	}
	return nil
}
