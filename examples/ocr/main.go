// Command ocr reads the text lines of an image with PaddleOCR's detector, direction
// classifier and recognizer, compiled ahead of time to Go by onnxc:
//
//	ocr [-dict ppocr_keys_v1.txt] IMAGE.png|IMAGE.jpg
//
// prints one line per text line found, top to bottom: its box, its score and its text.
package main

// The models are compiled into Go packages (det, cls, rec) by go generate; see README.md.
//go:generate go tool onnxc build ../../testdata/models/ch_PP-OCRv4_det_infer.onnx -o det -pkg det
//go:generate go tool onnxc build ../../testdata/models/ch_ppocr_mobile_v2.0_cls_infer.onnx -o cls -pkg cls --shape x=1x3x48x192
//go:generate go tool onnxc build ../../testdata/models/ch_PP-OCRv4_rec_infer.onnx -o rec -pkg rec --shape x=1x3x48x?

import (
	"context"
	"flag"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"os"
)

func main() {
	dict := flag.String("dict", "ppocr_keys_v1.txt", "the recognizer's dictionary, one character a line")
	threads := flag.Int("threads", 0, "threads per model run (0: all cores)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: ocr [-dict FILE] [-threads N] IMAGE\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *dict, *threads); err != nil {
		fmt.Fprintln(os.Stderr, "ocr:", err)
		os.Exit(1)
	}
}

func run(path, dictPath string, threads int) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	img, _, err := image.Decode(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	dict, err := readDict(dictPath)
	if err != nil {
		return err
	}
	o, err := NewOCR(dict, threads)
	if err != nil {
		return err
	}
	defer o.Close()
	lines, err := o.Read(context.Background(), img)
	if err != nil {
		return err
	}
	for _, l := range lines {
		r := l.Box
		fmt.Printf("%d,%d %dx%d\t%.3f\t%s\n", r.Min.X, r.Min.Y, r.Dx(), r.Dy(), l.Score, l.Text)
	}
	return nil
}
