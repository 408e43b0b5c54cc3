package runtime

import (
	"fmt"
	"slices"
)

// RotaryEmbeddingParams configures RotaryEmbedding (ONNX opset 23).
type RotaryEmbeddingParams struct {
	// Interleaved pairs elements (2i, 2i+1) of a head; otherwise i pairs with i + RotaryDim/2.
	Interleaved bool
	// NumHeads splits the last dim of a 3D input [B, S, H*D] into heads.
	NumHeads int
	// RotaryDim is how many leading elements of each head rotate (0: all).
	RotaryDim int
}

// RotaryEmbedding rotates pairs of each head's leading RotaryDim elements by position-dependent
// angles: inputs X ([B, H, S, D] or [B, S, H*D]), cos_cache and sin_cache (indexed by
// position_ids [B, S] when given, else already [B, S, RotaryDim/2]) and position_ids.
func RotaryEmbedding(x *Exec, p *RotaryEmbeddingParams, out, in []*Tensor) error {
	X, cosT, sinT := in[0], in[1], in[2]
	pos := atIn(in, 3)
	var B, S, H, D int
	var sB, sS, sH int // element strides of batch, position and head
	switch len(X.Shape) {
	case 4:
		B, H, S, D = X.Shape[0], X.Shape[1], X.Shape[2], X.Shape[3]
		sB, sH, sS = H*S*D, S*D, D
	case 3:
		if p.NumHeads <= 0 || X.Shape[2]%p.NumHeads != 0 {
			return fmt.Errorf("rotary embedding: hidden size %d does not split into num_heads=%d", X.Shape[2], p.NumHeads)
		}
		B, S, H = X.Shape[0], X.Shape[1], p.NumHeads
		D = X.Shape[2] / H
		sB, sS, sH = S*H*D, H*D, D
	default:
		return fmt.Errorf("rotary embedding: input of rank %d, want 3 or 4", len(X.Shape))
	}
	rd := p.RotaryDim
	if rd == 0 {
		rd = D
	}
	if rd%2 != 0 || rd > D || rd < 0 {
		return fmt.Errorf("rotary embedding: rotary_embedding_dim %d with head size %d", rd, D)
	}
	half := rd / 2
	if cosT.DType != X.DType || sinT.DType != X.DType {
		return fmt.Errorf("rotary embedding: caches of %s/%s with input of %s", cosT.DType, sinT.DType, X.DType)
	}
	if !slices.Equal(cosT.Shape, sinT.Shape) || len(cosT.Shape) == 0 || cosT.Shape[len(cosT.Shape)-1] != half {
		return fmt.Errorf("rotary embedding: cos_cache %v and sin_cache %v must end in rotary_embedding_dim/2 = %d", cosT.Shape, sinT.Shape, half)
	}
	// row[b*S+s] is the cache row of batch b, position s.
	row := make([]int, B*S)
	if pos != nil {
		if len(pos.Shape) != 2 || pos.Shape[0] != B || pos.Shape[1] != S || len(cosT.Shape) != 2 {
			return fmt.Errorf("rotary embedding: position_ids %v with input %v and caches %v", pos.Shape, X.Shape, cosT.Shape)
		}
		ids := make([]int64, B*S)
		switch pos.DType {
		case Int64:
			copy(ids, Data[int64](pos))
		case Int32:
			for i, v := range Data[int32](pos) {
				ids[i] = int64(v)
			}
		default:
			return fmt.Errorf("rotary embedding: position_ids of %s", pos.DType)
		}
		for i, v := range ids {
			if v < 0 || v >= int64(cosT.Shape[0]) {
				return fmt.Errorf("rotary embedding: position id %d outside the cache's %d rows", v, cosT.Shape[0])
			}
			row[i] = int(v)
		}
	} else {
		if len(cosT.Shape) != 3 || cosT.Shape[0] != B || cosT.Shape[1] != S {
			return fmt.Errorf("rotary embedding: without position_ids the caches must be [%d %d %d], got %v", B, S, half, cosT.Shape)
		}
		for i := range row {
			row[i] = i
		}
	}
	out[0].Resize(X.DType, X.Shape...)
	switch X.DType {
	case Float64:
		reRun(x, p.Interleaved, atLoad[float64](x, X, atSlotQ), atLoad[float64](x, cosT, atSlotK), atLoad[float64](x, sinT, atSlotV),
			atOut[float64](x, out[0], X.DType, atSlotY, X.Len(), X.Shape...), out[0], row, B, S, H, D, half, sB, sS, sH)
	case Float32, Float16, BFloat16:
		reRun(x, p.Interleaved, atLoad[float32](x, X, atSlotQ), atLoad[float32](x, cosT, atSlotK), atLoad[float32](x, sinT, atSlotV),
			atOut[float32](x, out[0], X.DType, atSlotY, X.Len(), X.Shape...), out[0], row, B, S, H, D, half, sB, sS, sH)
	default:
		return fmt.Errorf("rotary embedding of %s is not supported", X.DType)
	}
	return nil
}

func reRun[T float32 | float64](x *Exec, inter bool, src, cs, sn, dst []T, dt *Tensor, row []int, B, S, H, D, half, sB, sS, sH int) {
	x.Pool.For(B*S, H*D*4, func(lo, hi int) {
		for bs := lo; bs < hi; bs++ {
			b, s := bs/S, bs%S
			c := cs[row[bs]*half : (row[bs]+1)*half]
			sv := sn[row[bs]*half : (row[bs]+1)*half]
			for h := 0; h < H; h++ {
				o := b*sB + s*sS + h*sH
				xi, yo := src[o:o+D], dst[o:o+D]
				for i := 0; i < half; i++ {
					a, bi := i, i+half
					if inter {
						a, bi = 2*i, 2*i+1
					}
					x1, x2 := xi[a], xi[bi]
					yo[a] = c[i]*x1 - sv[i]*x2
					yo[bi] = sv[i]*x1 + c[i]*x2
				}
				copy(yo[2*half:], xi[2*half:])
			}
		}
	})
	atStore(dt, dst)
}
