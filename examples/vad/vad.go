package main

import (
	"context"

	"github.com/onnxc/onnxc/examples/vad/silero"
	"github.com/onnxc/onnxc/runtime"
)

const (
	// SampleRate is the rate the model is run at; ChunkSamples the samples it takes per call
	// (32 ms).
	SampleRate   = 16000
	ChunkSamples = 512
	// contextSamples of the previous chunk go before each chunk, as Silero's own wrapper does
	// for v5 at 16 kHz: the model's input is contextSamples+ChunkSamples long.
	contextSamples = 64
	// A segment ends after this much time below the lower threshold (Silero's own iterator
	// uses threshold-0.15 and 100 ms), and is padded by speechPad on both sides.
	minSilence = 0.1
	speechPad  = 0.03
)

// Segment is a stretch of speech, in seconds from the start of the stream.
type Segment struct{ Start, End float64 }

// Detector runs the model over a stream of chunks, carrying its recurrent state from one call
// to the next, and turns the per-chunk speech probabilities into segments.
type Detector struct {
	m          *silero.Model
	in         silero.Inputs
	out        silero.Outputs
	on, off    float32 // start a segment at or above on, end one below off
	pos        int     // samples pushed so far
	speaking   bool
	start      int // sample where the current segment started
	quietSince int // sample where the probability last fell below off, -1 while above
}

// NewDetector loads the model.
func NewDetector(threshold float32) (*Detector, error) {
	m, err := silero.New(silero.WithThreads(1))
	if err != nil {
		return nil, err
	}
	sr := runtime.New(runtime.Int64)
	runtime.Data[int64](sr)[0] = SampleRate
	return &Detector{
		m:  m,
		in: silero.Inputs{Input: runtime.New(runtime.Float32, 1, contextSamples+ChunkSamples), State: runtime.New(runtime.Float32, 2, 1, 128), Sr: sr},
		on: threshold, off: max(threshold-0.15, 0.01), quietSince: -1,
	}, nil
}

// Close releases the model.
func (d *Detector) Close() { d.m.Close() }

// Push runs one chunk of ChunkSamples samples in [-1, 1]; ok says a segment ended with it.
func (d *Detector) Push(ctx context.Context, chunk []float32) (seg Segment, ok bool, err error) {
	x := runtime.Data[float32](d.in.Input)
	copy(x, x[ChunkSamples:]) // the last contextSamples of the previous chunk
	copy(x[contextSamples:], chunk)
	// RunInto reuses the output tensors: a warm call allocates nothing.
	if err := d.m.RunInto(ctx, d.in, &d.out); err != nil {
		return Segment{}, false, err
	}
	copy(runtime.Data[float32](d.in.State), runtime.Data[float32](d.out.StateN))
	p := runtime.Data[float32](d.out.Output)[0]
	at := d.pos
	d.pos += len(chunk)
	switch {
	case p >= d.on:
		d.quietSince = -1
		if !d.speaking {
			d.speaking, d.start = true, at
		}
	case p < d.off && d.speaking:
		if d.quietSince < 0 {
			d.quietSince = at
		}
		if float64(d.pos-d.quietSince)/SampleRate >= minSilence {
			seg = d.segment(d.quietSince)
			d.speaking, d.quietSince = false, -1
			return seg, true, nil
		}
	}
	return Segment{}, false, nil
}

// Flush ends the stream: the segment still open, if one is.
func (d *Detector) Flush() (Segment, bool) {
	if !d.speaking {
		return Segment{}, false
	}
	d.speaking = false
	return d.segment(d.pos), true
}

func (d *Detector) segment(end int) Segment {
	return Segment{
		Start: max(0, float64(d.start)/SampleRate-speechPad),
		End:   min(float64(d.pos), float64(end)+speechPad*SampleRate) / SampleRate,
	}
}
