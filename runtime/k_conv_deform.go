package runtime

import (
	"fmt"
	"math"
)

// Scratch slots of DeformConv beyond the conv ones it shares.
const (
	dcSlotW    = cvSlotCol + 3
	dcSlotBias = cvSlotCol + 4
)

// DeformConvParams configures DeformConv: Conv's window attributes and the number of offset
// groups (channel groups sharing one set of offsets).
type DeformConvParams struct {
	KernelShape []int
	Strides     []int
	Pads        []int
	Dilations   []int
	Group       int
	OffsetGroup int
}

// DeformConv is ONNX DeformConv for 2-D inputs: each tap of each window samples the input
// bilinearly (zero outside) at its position moved by a learned offset, optionally scaled by a
// mask, and the samples are combined with the weights as in Conv. The samples form an im2col
// matrix per image and group, multiplied by the weights on the GEMM.
func DeformConv(x *Exec, p *DeformConvParams, out, in []*Tensor) error {
	X, W, O := in[0], in[1], in[2]
	B, M := qzOpt(in, 3), qzOpt(in, 4)
	if len(X.Shape) != 4 || len(W.Shape) != 4 || len(O.Shape) != 4 {
		return fmt.Errorf("input %v, weights %v and offsets %v: only 2-D DeformConv is supported", X.Shape, W.Shape, O.Shape)
	}
	g, og := max(p.Group, 1), max(p.OffsetGroup, 1)
	n, c, h, w := X.Shape[0], X.Shape[1], X.Shape[2], X.Shape[3]
	m, kh, kw := W.Shape[0], W.Shape[2], W.Shape[3]
	if W.Shape[1]*g != c || m%g != 0 || c%og != 0 {
		return fmt.Errorf("weights %v do not fit input %v in %d groups and %d offset groups", W.Shape, X.Shape, g, og)
	}
	win, err := cvMakeWin(X.Shape[2:], W.Shape[2:], p.Strides, p.Dilations, p.Pads, "", false)
	if err != nil {
		return err
	}
	oh, ow := win.out[1], win.out[2]
	if O.Shape[0] != n || O.Shape[1] != og*kh*kw*2 || O.Shape[2] != oh || O.Shape[3] != ow {
		return fmt.Errorf("offsets of shape %v, want [%d %d %d %d]", O.Shape, n, og*kh*kw*2, oh, ow)
	}
	if M != nil && (len(M.Shape) != 4 || M.Shape[0] != n || M.Shape[1] != og*kh*kw || M.Shape[2] != oh || M.Shape[3] != ow) {
		return fmt.Errorf("mask of shape %v, want [%d %d %d %d]", M.Shape, n, og*kh*kw, oh, ow)
	}
	if B != nil && B.Len() != m {
		return fmt.Errorf("bias of shape %v, want %d elements", B.Shape, m)
	}
	for _, t := range []*Tensor{W, O, B, M} {
		if t != nil && t.DType != X.DType {
			return fmt.Errorf("operand types %s and %s differ", X.DType, t.DType)
		}
	}
	Y := out[0]
	Y.Resize(X.DType, n, m, oh, ow)
	xs, err := qzFloats(x, X, cvSlotX)
	if err != nil {
		return err
	}
	ofs, _ := qzFloats(x, O, cvSlotW)
	var mask []float64
	if M != nil {
		mask, _ = qzFloats(x, M, cvSlotB)
	}
	cg, mg, ov, kv := c/g, m/g, oh*ow, kh*kw
	cpo := c / og // channels per offset group
	col := ScratchOf[float32](x, cvSlotCol, cg*kv*ov)
	var wf []float32
	if W.DType == Float64 {
		wf = ScratchOf[float32](x, dcSlotW, W.Len())
		for i, v := range Data[float64](W) {
			wf[i] = float32(v)
		}
	} else if wf, err = cvF32(x, W, dcSlotW); err != nil {
		return err
	}
	ys := ScratchOf[float32](x, cvSlotY, Y.Len())
	for b := 0; b < n; b++ {
		for gi := 0; gi < g; gi++ {
			for cl := 0; cl < cg; cl++ {
				ch := gi*cg + cl
				o := ch / cpo
				plane := xs[(b*c+ch)*h*w : (b*c+ch+1)*h*w]
				for ky := 0; ky < kh; ky++ {
					for kx := 0; kx < kw; kx++ {
						t := (o*kh+ky)*kw + kx
						offH := ofs[((b*og*kv+t)*2)*ov:]
						offW := ofs[((b*og*kv+t)*2+1)*ov:]
						row := col[((cl*kh+ky)*kw+kx)*ov : ((cl*kh+ky)*kw+kx+1)*ov]
						for i := 0; i < oh; i++ {
							for j := 0; j < ow; j++ {
								q := i*ow + j
								py := float64(i*win.s[1]-win.pb[1]+ky*win.d[1]) + offH[q]
								px := float64(j*win.s[2]-win.pb[2]+kx*win.d[2]) + offW[q]
								v := dcBilinear(plane, h, w, py, px)
								if mask != nil {
									v *= mask[(b*og*kv+t)*ov+q]
								}
								row[q] = float32(v)
							}
						}
					}
				}
			}
			// Y[b, g] (mg x ov) = W[g] (mg x cg*kv) * col (cg*kv x ov).
			sgemm(x, false, false, mg, ov, cg*kv, 1, wf[gi*mg*cg*kv:], cg*kv, col, ov, ys[(b*m+gi*mg)*ov:], ov, false)
		}
	}
	if B != nil {
		bias, _ := qzFloats(x, B, dcSlotBias)
		for i := range ys {
			ys[i] += float32(bias[(i/ov)%m])
		}
	}
	switch Y.DType {
	case Float32:
		copy(Data[float32](Y), ys)
	case Float64:
		d := Data[float64](Y)
		for i, v := range ys {
			d[i] = float64(v)
		}
	default:
		cvStoreF32(Y, ys)
	}
	return nil
}

// dcBilinear samples an h x w plane at (y, x) with bilinear weights; corners outside the plane
// read as zero.
func dcBilinear(plane []float64, h, w int, y, x float64) float64 {
	y0, x0 := math.Floor(y), math.Floor(x)
	ly, lx := y-y0, x-x0
	iy, ix := int(y0), int(x0)
	at := func(r, c int) float64 {
		if r < 0 || r >= h || c < 0 || c >= w {
			return 0
		}
		return plane[r*w+c]
	}
	return (1-ly)*(1-lx)*at(iy, ix) + (1-ly)*lx*at(iy, ix+1) + ly*(1-lx)*at(iy+1, ix) + ly*lx*at(iy+1, ix+1)
}
