package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"testing"
)

// wavFile is a RIFF WAVE file of 16-bit PCM with the given header fields and data; size is the
// data chunk's declared size (-1: the data's own).
func wavFile(channels uint16, rate uint32, bits uint16, size int64, pcm []int16) []byte {
	var data bytes.Buffer
	binary.Write(&data, binary.LittleEndian, pcm)
	if size < 0 {
		size = int64(data.Len())
	}
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+data.Len()))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), channels, rate, rate * uint32(channels) * uint32(bits) / 8, channels * bits / 8, bits} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("LIST")
	binary.Write(&b, binary.LittleEndian, uint32(3))
	b.Write([]byte{'a', 'b', 'c', 0}) // an odd-sized chunk and its pad byte
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(size))
	b.Write(data.Bytes())
	return b.Bytes()
}

func TestReadWAV(t *testing.T) {
	pcm := []int16{0, 16384, -32768, 32767, -1}
	for _, tc := range []struct {
		name    string
		file    []byte
		samples int
		err     string
	}{
		{"good", wavFile(1, SampleRate, 16, -1, pcm), 5, ""},
		{"stream size", wavFile(1, SampleRate, 16, 0xFFFFFFFF, pcm), 5, ""},
		{"declared 4 GB, holds 5 samples", wavFile(1, SampleRate, 16, 0xFFFFFFFE, pcm), 5, ""},
		{"stereo", wavFile(2, SampleRate, 16, -1, pcm), 0, "2 channels"},
		{"8 kHz", wavFile(1, 8000, 16, -1, pcm), 0, "at 8000 Hz"},
		{"empty", nil, 0, "not a WAV file"},
		{"not RIFF", []byte("RIFX\x00\x00\x00\x00WAVE"), 0, "no RIFF/WAVE header"},
		{"no data chunk", wavFile(1, SampleRate, 16, -1, pcm)[:48], 0, "without a data chunk"},
		{"truncated chunk", wavFile(1, SampleRate, 16, -1, pcm)[:46], 0, `WAV chunk "LIST" truncated`},
	} {
		got, err := readWAV(bytes.NewReader(tc.file))
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want one with %q", tc.name, err, tc.err)
		case tc.err == "" && (err != nil || len(got) != tc.samples):
			t.Errorf("%s: %d samples, %v; want %d", tc.name, len(got), err, tc.samples)
		}
	}
	got, _ := readWAV(bytes.NewReader(wavFile(1, SampleRate, 16, -1, pcm)))
	if want := []float32{0, 0.5, -1, 32767.0 / 32768, -1.0 / 32768}; len(got) == len(want) {
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("sample %d = %v, want %v", i, got[i], want[i])
			}
		}
	}
}

// FuzzReadWAV: any input gives samples or an error, never a panic, and never more samples than
// the bytes it holds (a declared size is not an allocation).
func FuzzReadWAV(f *testing.F) {
	f.Add(wavFile(1, SampleRate, 16, -1, []int16{1, 2, 3}))
	f.Add(wavFile(1, SampleRate, 16, 0xFFFFFFFF, []int16{1}))
	if b, err := os.ReadFile("testdata/speech.wav"); err == nil {
		f.Add(b[:min(len(b), 4096)])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := readWAV(bytes.NewReader(b))
		if err == nil && len(got) > len(b)/2 {
			t.Fatalf("%d samples from %d bytes", len(got), len(b))
		}
	})
}
