package runtime

import (
	"fmt"
	"math"
)

// Region-of-interest pooling: RoiAlign (bilinear samples averaged or maxed per bin) and
// MaxRoiPool (Caffe-style integer bins). Coordinates are computed in float64.

// RoiAlignParams configures RoiAlign. Mode is "avg" or "max"; HalfPixel shifts ROI coordinates
// by half a pixel (coordinate_transformation_mode "half_pixel").
type RoiAlignParams struct {
	Mode          string
	OutputHeight  int
	OutputWidth   int
	SamplingRatio int
	SpatialScale  float64
	HalfPixel     bool
}

// roiSample is one bilinear sample: four input offsets and their weights.
type roiSample struct {
	pos [4]int
	w   [4]float64
}

// RoiAlign is ONNX RoiAlign over an N x C x H x W input, ROIs (num_rois x 4: x1, y1, x2, y2)
// and their batch indices.
func RoiAlign(x *Exec, p *RoiAlignParams, out, in []*Tensor) error {
	X, R, B := in[0], in[1], in[2]
	if len(X.Shape) != 4 {
		return fmt.Errorf("input of shape %v, want N x C x H x W", X.Shape)
	}
	nr := B.Len()
	if len(R.Shape) != 2 || R.Shape[1] != 4 || R.Shape[0] != nr {
		return fmt.Errorf("rois of shape %v and batch indices of shape %v, want num_rois x 4 and num_rois", R.Shape, B.Shape)
	}
	n, c, h, w := X.Shape[0], X.Shape[1], X.Shape[2], X.Shape[3]
	ph, pw := max(p.OutputHeight, 1), max(p.OutputWidth, 1)
	xs, err := qzFloats(x, X, cvSlotX)
	if err != nil {
		return err
	}
	rois, err := qzFloats(x, R, cvSlotW)
	if err != nil {
		return err
	}
	Y := out[0]
	Y.Resize(X.DType, nr, c, ph, pw)
	ys := ScratchOf[float64](x, cvSlotY, Y.Len())
	var samples []roiSample
	for r := 0; r < nr; r++ {
		bi := int(qzIntAt(B, r))
		if bi < 0 || bi >= n {
			return fmt.Errorf("batch index %d out of range for %d images", bi, n)
		}
		off := 0.0
		if p.HalfPixel {
			off = 0.5
		}
		roi := rois[r*4 : r*4+4]
		x0, y0 := roi[0]*p.SpatialScale-off, roi[1]*p.SpatialScale-off
		rw, rh := roi[2]*p.SpatialScale-off-x0, roi[3]*p.SpatialScale-off-y0
		if !p.HalfPixel {
			rw, rh = math.Max(rw, 1), math.Max(rh, 1)
		}
		bh, bw := rh/float64(ph), rw/float64(pw)
		gh, gw := p.SamplingRatio, p.SamplingRatio
		if p.SamplingRatio <= 0 {
			gh, gw = int(math.Ceil(rh/float64(ph))), int(math.Ceil(rw/float64(pw)))
		}
		count := float64(max(gh*gw, 1))
		// Samples are shared by every channel of the ROI.
		samples = samples[:0]
		for i := 0; i < ph; i++ {
			for j := 0; j < pw; j++ {
				for iy := 0; iy < gh; iy++ {
					yy := y0 + float64(i)*bh + (float64(iy)+0.5)*bh/float64(gh)
					for ix := 0; ix < gw; ix++ {
						xx := x0 + float64(j)*bw + (float64(ix)+0.5)*bw/float64(gw)
						samples = append(samples, roiBilinear(yy, xx, h, w))
					}
				}
			}
		}
		per := gh * gw
		for ch := 0; ch < c; ch++ {
			plane := xs[(bi*c+ch)*h*w : (bi*c+ch+1)*h*w]
			dst := ys[(r*c+ch)*ph*pw : (r*c+ch+1)*ph*pw]
			for b := range dst {
				var v float64
				for q, s := range samples[b*per : (b+1)*per] {
					if p.Mode == "max" {
						m := math.Max(math.Max(s.w[0]*plane[s.pos[0]], s.w[1]*plane[s.pos[1]]), math.Max(s.w[2]*plane[s.pos[2]], s.w[3]*plane[s.pos[3]]))
						if q == 0 || m > v {
							v = m
						}
						continue
					}
					v += s.w[0]*plane[s.pos[0]] + s.w[1]*plane[s.pos[1]] + s.w[2]*plane[s.pos[2]] + s.w[3]*plane[s.pos[3]]
				}
				if p.Mode != "max" {
					v /= count
				}
				dst[b] = v
			}
		}
	}
	return qzStoreFloat(Y, ys)
}

// roiBilinear returns the bilinear sample at (y, x) of an h x w plane; points more than one
// pixel outside give zero weights.
func roiBilinear(y, x float64, h, w int) roiSample {
	var s roiSample
	if y < -1 || y > float64(h) || x < -1 || x > float64(w) {
		return s
	}
	y, x = math.Max(y, 0), math.Max(x, 0)
	yl, xl := int(y), int(x)
	yh, xh := yl+1, xl+1
	if yl >= h-1 {
		yl, yh = h-1, h-1
		y = float64(yl)
	}
	if xl >= w-1 {
		xl, xh = w-1, w-1
		x = float64(xl)
	}
	ly, lx := y-float64(yl), x-float64(xl)
	hy, hx := 1-ly, 1-lx
	s.pos = [4]int{yl*w + xl, yl*w + xh, yh*w + xl, yh*w + xh}
	s.w = [4]float64{hy * hx, hy * lx, ly * hx, ly * lx}
	return s
}

// MaxRoiPoolParams configures MaxRoiPool.
type MaxRoiPoolParams struct {
	PooledShape  []int
	SpatialScale float64
}

// MaxRoiPool is ONNX MaxRoiPool: ROIs (num_rois x 5: batch index, x1, y1, x2, y2) scaled and
// rounded to pixels, split into pooled_shape bins, the maximum of each (0 for an empty bin).
func MaxRoiPool(x *Exec, p *MaxRoiPoolParams, out, in []*Tensor) error {
	X, R := in[0], in[1]
	if len(X.Shape) != 4 || len(R.Shape) != 2 || R.Shape[1] != 5 || len(p.PooledShape) != 2 {
		return fmt.Errorf("input of shape %v, rois of shape %v and pooled_shape %v: want N x C x H x W, num_rois x 5 and two dims", X.Shape, R.Shape, p.PooledShape)
	}
	n, c, h, w := X.Shape[0], X.Shape[1], X.Shape[2], X.Shape[3]
	ph, pw := p.PooledShape[0], p.PooledShape[1]
	xs, err := qzFloats(x, X, cvSlotX)
	if err != nil {
		return err
	}
	rois, err := qzFloats(x, R, cvSlotW)
	if err != nil {
		return err
	}
	nr := R.Shape[0]
	Y := out[0]
	Y.Resize(X.DType, nr, c, ph, pw)
	ys := ScratchOf[float64](x, cvSlotY, Y.Len())
	for r := 0; r < nr; r++ {
		roi := rois[r*5 : r*5+5]
		bi := int(roi[0])
		if bi < 0 || bi >= n {
			return fmt.Errorf("batch index %d out of range for %d images", bi, n)
		}
		x0, y0 := int(math.Round(roi[1]*p.SpatialScale)), int(math.Round(roi[2]*p.SpatialScale))
		x1, y1 := int(math.Round(roi[3]*p.SpatialScale)), int(math.Round(roi[4]*p.SpatialScale))
		rh, rw := max(y1-y0+1, 1), max(x1-x0+1, 1)
		bh, bw := float64(rh)/float64(ph), float64(rw)/float64(pw)
		for ch := 0; ch < c; ch++ {
			plane := xs[(bi*c+ch)*h*w : (bi*c+ch+1)*h*w]
			for i := 0; i < ph; i++ {
				hs := min(max(int(math.Floor(float64(i)*bh))+y0, 0), h)
				he := min(max(int(math.Ceil(float64(i+1)*bh))+y0, 0), h)
				for j := 0; j < pw; j++ {
					ws := min(max(int(math.Floor(float64(j)*bw))+x0, 0), w)
					we := min(max(int(math.Ceil(float64(j+1)*bw))+x0, 0), w)
					v := 0.0
					if hs < he && ws < we {
						v = math.Inf(-1)
						for yy := hs; yy < he; yy++ {
							for xx := ws; xx < we; xx++ {
								v = math.Max(v, plane[yy*w+xx])
							}
						}
					}
					ys[((r*c+ch)*ph+i)*pw+j] = v
				}
			}
		}
	}
	return qzStoreFloat(Y, ys)
}
