package main

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"image/draw"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/onnxc/onnxc/examples/ocr/cls"
	"github.com/onnxc/onnxc/examples/ocr/det"
	"github.com/onnxc/onnxc/examples/ocr/rec"
	"github.com/onnxc/onnxc/runtime"
)

// The settings of PaddleOCR's reference pipeline (tools/infer/utility.py defaults).
const (
	detMaxSide   = 960  // the detector's input: longest side at most this, both sides multiples of 32
	detThresh    = 0.3  // a pixel is text when its probability exceeds this
	detBoxThresh = 0.6  // a region is kept when its mean probability exceeds this
	unclipRatio  = 1.5  // how far a region grows back out (the detector shrinks text regions)
	minBoxSide   = 3    // regions thinner than this (in detector pixels) are noise
	recHeight    = 48   // the recognizer's and classifier's input height
	recMinWidth  = 320  // the recognizer's input is at least this wide (padded)
	clsWidth     = 192  // the classifier's input width
	clsThresh    = 0.9  // a line is turned when the classifier says 180 degrees with this score
	lineTol      = 10.0 // boxes whose tops differ by less than this are on one line, ordered by x
)

// Line is one recognised text line.
type Line struct {
	Box   image.Rectangle // in the input image's pixels
	Text  string
	Score float32 // the recognizer's mean probability of the characters it read
	// Rotated says the classifier found the line upside down and it was turned before reading.
	Rotated bool
}

// OCR holds the three compiled models and the dictionary. Its methods are safe for concurrent
// use: each model's Run takes pooled working memory.
type OCR struct {
	det  *det.Model
	cls  *cls.Model
	rec  *rec.Model
	dict []string // index i is the recognizer's class i: 0 the CTC blank, last a space
}

// NewOCR loads the models; dict is the dictionary's characters in order.
func NewOCR(dict []string, threads int) (*OCR, error) {
	o := &OCR{dict: append(append([]string{""}, dict...), " ")}
	var err error
	if o.det, err = det.New(det.WithThreads(threads)); err != nil {
		return nil, err
	}
	if o.cls, err = cls.New(cls.WithThreads(threads)); err != nil {
		return nil, err
	}
	if o.rec, err = rec.New(rec.WithThreads(threads)); err != nil {
		return nil, err
	}
	return o, nil
}

// Close releases the models' threads.
func (o *OCR) Close() {
	o.det.Close()
	o.cls.Close()
	o.rec.Close()
}

// Read finds the text lines of img and reads them, top to bottom and left to right.
func (o *OCR) Read(ctx context.Context, img image.Image) ([]Line, error) {
	src := toRGBA(img)
	boxes, err := o.detect(ctx, src)
	if err != nil {
		return nil, err
	}
	var lines []Line
	for _, box := range boxes {
		crop := src.SubImage(box).(*image.RGBA)
		rotated, err := o.upsideDown(ctx, crop)
		if err != nil {
			return nil, err
		}
		if rotated {
			crop = rotate180(crop)
		}
		text, score, err := o.recognize(ctx, crop)
		if err != nil {
			return nil, err
		}
		if text != "" {
			lines = append(lines, Line{Box: box, Text: text, Score: score, Rotated: rotated})
		}
	}
	return lines, nil
}

// detect runs the detector and turns its probability map into boxes: connected regions of
// text pixels, kept when confident, grown back by the unclip distance, in image pixels.
func (o *OCR) detect(ctx context.Context, img *image.RGBA) ([]image.Rectangle, error) {
	b := img.Bounds()
	scale := min(1, detMaxSide/float64(max(b.Dx(), b.Dy())))
	h := max(32, int(math.Round(float64(b.Dy())*scale/32))*32)
	w := max(32, int(math.Round(float64(b.Dx())*scale/32))*32)
	x := runtime.New(runtime.Float32, 1, 3, h, w)
	// PaddleOCR normalizes BGR pixels with these per-channel statistics.
	fill(runtime.Data[float32](x), img, w, h, w, [3]float32{0.485, 0.456, 0.406}, [3]float32{0.229, 0.224, 0.225})
	out, err := o.det.Run(ctx, det.Inputs{X: x})
	if err != nil {
		return nil, err
	}
	prob := runtime.Data[float32](out.Sigmoid0Tmp0) // 1 x 1 x h x w
	sx, sy := float64(b.Dx())/float64(w), float64(b.Dy())/float64(h)
	var boxes []image.Rectangle
	for _, r := range regions(prob, w, h) {
		rw, rh := float64(r.box.Dx()), float64(r.box.Dy())
		if r.score < detBoxThresh || rw < minBoxSide || rh < minBoxSide {
			continue
		}
		d := rw * rh * unclipRatio / (2 * (rw + rh)) // offset that grows the area by unclipRatio
		box := image.Rect(
			int(math.Floor((float64(r.box.Min.X)-d)*sx)), int(math.Floor((float64(r.box.Min.Y)-d)*sy)),
			int(math.Ceil((float64(r.box.Max.X)+d)*sx)), int(math.Ceil((float64(r.box.Max.Y)+d)*sy)),
		).Add(b.Min).Intersect(b)
		if !box.Empty() {
			boxes = append(boxes, box)
		}
	}
	sort.Slice(boxes, func(i, j int) bool {
		if math.Abs(float64(boxes[i].Min.Y-boxes[j].Min.Y)) < lineTol {
			return boxes[i].Min.X < boxes[j].Min.X
		}
		return boxes[i].Min.Y < boxes[j].Min.Y
	})
	return boxes, nil
}

type region struct {
	box   image.Rectangle // in map pixels, Max exclusive
	score float64         // mean probability over the region's pixels
}

// regions finds the 4-connected regions of pixels above detThresh in a w x h map.
func regions(prob []float32, w, h int) []region {
	seen := make([]bool, len(prob))
	var out []region
	var stack []int
	for start := range prob {
		if seen[start] || prob[start] <= detThresh {
			continue
		}
		seen[start] = true
		stack = append(stack[:0], start)
		r := image.Rect(start%w, start/w, start%w+1, start/w+1)
		sum, n := 0.0, 0
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			px, py := p%w, p/w
			r = r.Union(image.Rect(px, py, px+1, py+1))
			sum += float64(prob[p])
			n++
			for _, q := range [4]int{p - 1, p + 1, p - w, p + w} {
				if q < 0 || q >= len(prob) || (q == p-1 && px == 0) || (q == p+1 && px == w-1) {
					continue
				}
				if !seen[q] && prob[q] > detThresh {
					seen[q] = true
					stack = append(stack, q)
				}
			}
		}
		out = append(out, region{box: r, score: sum / float64(n)})
	}
	return out
}

// upsideDown asks the direction classifier whether a line is turned 180 degrees.
func (o *OCR) upsideDown(ctx context.Context, crop *image.RGBA) (bool, error) {
	x := runtime.New(runtime.Float32, 1, 3, recHeight, clsWidth)
	fill(runtime.Data[float32](x), crop, clsWidth, recHeight, scaledWidth(crop, clsWidth), [3]float32{0.5, 0.5, 0.5}, [3]float32{0.5, 0.5, 0.5})
	out, err := o.cls.Run(ctx, cls.Inputs{X: x})
	if err != nil {
		return false, err
	}
	p := runtime.Data[float32](out.Softmax0Tmp0) // scores of 0 and 180 degrees
	return p[1] > p[0] && p[1] > clsThresh, nil
}

// recognize reads one line: the recognizer's per-column class probabilities, decoded greedily
// as CTC (the best class per column; repeats merged, blanks dropped).
func (o *OCR) recognize(ctx context.Context, crop *image.RGBA) (string, float32, error) {
	width := max(recMinWidth, scaledWidth(crop, math.MaxInt))
	x := runtime.New(runtime.Float32, 1, 3, recHeight, width)
	fill(runtime.Data[float32](x), crop, width, recHeight, scaledWidth(crop, width), [3]float32{0.5, 0.5, 0.5}, [3]float32{0.5, 0.5, 0.5})
	out, err := o.rec.Run(ctx, rec.Inputs{X: x})
	if err != nil {
		return "", 0, err
	}
	probs := out.Softmax11Tmp0 // 1 x T x classes
	steps, classes := probs.Shape[1], probs.Shape[2]
	if classes != len(o.dict) {
		return "", 0, fmt.Errorf("the recognizer has %d classes, the dictionary %d characters (+ blank and space)", classes, len(o.dict)-2)
	}
	data := runtime.Data[float32](probs)
	var text strings.Builder
	var sum float32
	n, prev := 0, 0
	for t := range steps {
		row := data[t*classes : (t+1)*classes]
		best := 0
		for c, p := range row {
			if p > row[best] {
				best = c
			}
		}
		if best != 0 && best != prev {
			text.WriteString(o.dict[best])
			sum += row[best]
			n++
		}
		prev = best
	}
	if n == 0 {
		return "", 0, nil
	}
	return strings.TrimSpace(text.String()), sum / float32(n), nil
}

// scaledWidth is the width of img scaled to recHeight, at most limit.
func scaledWidth(img *image.RGBA, limit int) int {
	b := img.Bounds()
	return max(1, min(limit, int(math.Ceil(float64(recHeight)*float64(b.Dx())/float64(b.Dy())))))
}

// fill writes img, resized bilinearly to rw x h, into the first rw columns of a 3 x h x w planar
// tensor in BGR order, normalized as (v/255 - mean) / std; the columns right of rw stay 0.
func fill(dst []float32, img *image.RGBA, w, h, rw int, mean, std [3]float32) {
	b := img.Bounds()
	sx, sy := float64(b.Dx())/float64(rw), float64(b.Dy())/float64(h)
	for y := range h {
		fy := max(0, (float64(y)+0.5)*sy-0.5)
		y0 := min(int(fy), b.Dy()-1)
		y1, wy := min(y0+1, b.Dy()-1), float32(fy-float64(y0))
		for x := range rw {
			fx := max(0, (float64(x)+0.5)*sx-0.5)
			x0 := min(int(fx), b.Dx()-1)
			x1, wx := min(x0+1, b.Dx()-1), float32(fx-float64(x0))
			for c := range 3 {
				ch := 2 - c // B, G, R planes from R, G, B bytes
				v00 := float32(img.Pix[img.PixOffset(b.Min.X+x0, b.Min.Y+y0)+ch])
				v01 := float32(img.Pix[img.PixOffset(b.Min.X+x1, b.Min.Y+y0)+ch])
				v10 := float32(img.Pix[img.PixOffset(b.Min.X+x0, b.Min.Y+y1)+ch])
				v11 := float32(img.Pix[img.PixOffset(b.Min.X+x1, b.Min.Y+y1)+ch])
				v := (v00*(1-wx)+v01*wx)*(1-wy) + (v10*(1-wx)+v11*wx)*wy
				dst[(c*h+y)*w+x] = (v/255 - mean[c]) / std[c]
			}
		}
	}
}

func toRGBA(img image.Image) *image.RGBA {
	if r, ok := img.(*image.RGBA); ok {
		return r
	}
	r := image.NewRGBA(img.Bounds())
	draw.Draw(r, r.Bounds(), img, img.Bounds().Min, draw.Src)
	return r
}

func rotate180(img *image.RGBA) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			out.SetRGBA(b.Dx()-1-x, b.Dy()-1-y, img.RGBAAt(b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}

// readDict reads the recognizer's dictionary: one character (or symbol) a line.
func readDict(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dictionary: %w (see README.md for where it comes from)", err)
	}
	defer f.Close()
	var dict []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		dict = append(dict, strings.TrimRight(s.Text(), "\r"))
	}
	return dict, s.Err()
}
