package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// readWAV reads a RIFF WAVE file of 16-bit PCM, mono, at SampleRate, into samples in [-1, 1).
func readWAV(r io.Reader) ([]float32, error) {
	var riff [12]byte
	if _, err := io.ReadFull(r, riff[:]); err != nil {
		return nil, fmt.Errorf("not a WAV file: %w", err)
	}
	if string(riff[0:4]) != "RIFF" || string(riff[8:12]) != "WAVE" {
		return nil, errors.New("not a WAV file (no RIFF/WAVE header)")
	}
	var format struct {
		AudioFormat, Channels uint16
		SampleRate, ByteRate  uint32
		BlockAlign, Bits      uint16
	}
	haveFormat := false
	for {
		var hdr struct {
			ID   [4]byte
			Size uint32
		}
		if err := binary.Read(r, binary.LittleEndian, &hdr); err != nil {
			return nil, fmt.Errorf("WAV file without a data chunk: %w", err)
		}
		switch string(hdr.ID[:]) {
		case "fmt ":
			if hdr.Size < 16 {
				return nil, errors.New("WAV fmt chunk too short")
			}
			if err := binary.Read(r, binary.LittleEndian, &format); err != nil {
				return nil, err
			}
			if _, err := io.CopyN(io.Discard, r, int64(hdr.Size-16+hdr.Size%2)); err != nil {
				return nil, err
			}
			haveFormat = true
		case "data":
			if !haveFormat {
				return nil, errors.New("WAV data before its fmt chunk")
			}
			if format.AudioFormat != 1 || format.Channels != 1 || format.Bits != 16 || format.SampleRate != SampleRate {
				return nil, fmt.Errorf("want 16-bit PCM mono at %d Hz, got format %d, %d channels, %d bits at %d Hz (convert with: sox IN -r 16000 -c 1 -b 16 OUT.wav)",
					SampleRate, format.AudioFormat, format.Channels, format.Bits, format.SampleRate)
			}
			pcm := make([]int16, hdr.Size/2)
			if err := binary.Read(r, binary.LittleEndian, pcm); err != nil {
				return nil, fmt.Errorf("WAV data: %w", err)
			}
			samples := make([]float32, len(pcm))
			for i, v := range pcm {
				samples[i] = float32(v) / 32768
			}
			return samples, nil
		default:
			if _, err := io.CopyN(io.Discard, r, int64(hdr.Size)+int64(hdr.Size%2)); err != nil {
				return nil, err
			}
		}
	}
}
