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
				return nil, fmt.Errorf("WAV fmt chunk truncated: %w", err)
			}
			if _, err := io.CopyN(io.Discard, r, int64(hdr.Size-16+hdr.Size%2)); err != nil {
				return nil, fmt.Errorf("WAV fmt chunk truncated: %w", err)
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
			// The data is read as it comes, never allocated by the size the header claims:
			// a stream writer leaves it at 0xFFFFFFFF, a hostile file at anything. Data that
			// ends early is taken as far as it goes.
			var samples []float32
			buf := make([]byte, 64<<10)
			left := int64(hdr.Size) / 2 * 2
			for left > 0 {
				n, err := io.ReadFull(r, buf[:min(int64(len(buf)), left)])
				for i := 0; i+1 < n; i += 2 {
					samples = append(samples, float32(int16(binary.LittleEndian.Uint16(buf[i:])))/32768)
				}
				left -= int64(n)
				if err == io.EOF || err == io.ErrUnexpectedEOF {
					break
				}
				if err != nil {
					return nil, fmt.Errorf("WAV data: %w", err)
				}
			}
			return samples, nil
		default:
			if _, err := io.CopyN(io.Discard, r, int64(hdr.Size)+int64(hdr.Size%2)); err != nil {
				return nil, fmt.Errorf("WAV chunk %q truncated: %w", hdr.ID[:], err)
			}
		}
	}
}
