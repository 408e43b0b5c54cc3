package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Attention (opset 23/24) and RotaryEmbedding (opset 23).

func init() {
	Register(&Def{
		Op: "Attention", MinIn: 3, MaxIn: 7, MinOut: 1, MaxOut: 4,
		Doc:   "scaled dot-product attention with mask, KV cache, causal masking and grouped heads",
		Infer: inferAttention,
		Lower: func(n *ir.Node) (Call, error) {
			p := &runtime.AttentionParams{
				IsCausal:   n.GetInt("is_causal", 0) != 0,
				QNumHeads:  int(n.GetInt("q_num_heads", 0)),
				KVNumHeads: int(n.GetInt("kv_num_heads", 0)),
				Scale:      n.GetFloat("scale", 0),
				Softcap:    n.GetFloat("softcap", 0),
				QKMode:     int(n.GetInt("qk_matmul_output_mode", 0)),
			}
			return K(lowered.Attention, p), nil
		},
	})
	Register(&Def{
		Op: "RotaryEmbedding", MinIn: 3, MaxIn: 4, MinOut: 1, MaxOut: 1,
		Doc: "rotary position embedding of the leading part of each head",
		Infer: func(n *ir.Node) error {
			t := InType(n, 0)
			if err := rdFloatType(n, t.DType); err != nil {
				return err
			}
			if t.RankKnown && len(t.Shape) != 3 && len(t.Shape) != 4 {
				return Errorf(n, "input of rank %d, want 3 or 4", len(t.Shape))
			}
			if t.Rank() == 3 && n.GetInt("num_heads", 0) <= 0 {
				return Errorf(n, "3D input needs num_heads")
			}
			SetOut(n, 0, t)
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			return K(lowered.RotaryEmbedding, &runtime.RotaryEmbeddingParams{
				Interleaved: n.GetInt("interleaved", 0) != 0,
				NumHeads:    int(n.GetInt("num_heads", 0)),
				RotaryDim:   int(n.GetInt("rotary_embedding_dim", 0)),
			}), nil
		},
	})
}

func atDim(t ir.Type, i int) ir.Dim {
	if t.RankKnown && i < len(t.Shape) {
		return t.Shape[i]
	}
	return ir.Unknown()
}

func atDimAdd(a, b ir.Dim) ir.Dim {
	if a.IsStatic() && b.IsStatic() {
		return ir.Static(a.N + b.N)
	}
	if a.N == 0 {
		return b
	}
	if b.N == 0 {
		return a
	}
	return ir.Unknown()
}

func atDimMul(a ir.Dim, k int64) ir.Dim {
	if a.IsStatic() {
		return ir.Static(a.N * k)
	}
	if k == 1 {
		return a
	}
	return ir.Unknown()
}

func atDimDiv(a ir.Dim, k int64) ir.Dim {
	if a.IsStatic() && k > 0 {
		return ir.Static(a.N / k)
	}
	if k == 1 {
		return a
	}
	return ir.Unknown()
}

func inferAttention(n *ir.Node) error {
	q, k, v := InType(n, 0), InType(n, 1), InType(n, 2)
	dt := q.DType
	if err := rdFloatType(n, dt); err != nil {
		return err
	}
	rank := q.Rank()
	for _, t := range []ir.Type{k, v} {
		if r := t.Rank(); r >= 0 {
			if rank >= 0 && r != rank {
				return Errorf(n, "Q, K and V must have the same rank")
			}
			rank = r
		}
	}
	if rank >= 0 && rank != 3 && rank != 4 {
		return Errorf(n, "inputs of rank %d, want 3 or 4", rank)
	}
	qh, kvh := n.GetInt("q_num_heads", 0), n.GetInt("kv_num_heads", 0)
	if rank == 3 && (qh <= 0 || kvh <= 0) {
		return Errorf(n, "3D inputs need q_num_heads and kv_num_heads")
	}
	if rank < 0 {
		SetOut(n, 0, ir.Type{DType: dt})
		for i := 1; i < 4; i++ {
			SetOut(n, i, ir.TensorType(dt, ir.Unknown(), ir.Unknown(), ir.Unknown(), ir.Unknown()))
		}
		return nil
	}
	var b, hq, hkv, sq, sk, d, dv ir.Dim
	b = atDim(q, 0)
	if rank == 4 {
		hq, sq, d = atDim(q, 1), atDim(q, 2), atDim(q, 3)
		hkv, sk, dv = atDim(k, 1), atDim(k, 2), atDim(v, 3)
		if d.N < 0 {
			d = atDim(k, 3)
		}
		if hkv.N < 0 {
			hkv = atDim(v, 1)
		}
		SetOut(n, 0, ir.TensorType(dt, b, hq, sq, dv))
	} else {
		hq, hkv = ir.Static(qh), ir.Static(kvh)
		sq, sk = atDim(q, 1), atDim(k, 1)
		d, dv = atDimDiv(atDim(q, 2), qh), atDimDiv(atDim(v, 2), kvh)
		for _, c := range []struct {
			dim ir.Dim
			by  int64
		}{{atDim(q, 2), qh}, {atDim(k, 2), kvh}, {atDim(v, 2), kvh}} {
			if c.dim.IsStatic() && c.dim.N%c.by != 0 {
				return Errorf(n, "hidden size %d does not split into %d heads", c.dim.N, c.by)
			}
		}
		SetOut(n, 0, ir.TensorType(dt, b, sq, atDimMul(dv, qh)))
	}
	if hq.IsStatic() && hkv.IsStatic() && (hkv.N == 0 || hq.N%hkv.N != 0) {
		return Errorf(n, "%d query heads do not group over %d key/value heads", hq.N, hkv.N)
	}
	past := ir.Static(0)
	if n.Input(4) != nil {
		past = atDim(InType(n, 4), 2)
	}
	total := atDimAdd(past, sk)
	SetOut(n, 1, ir.TensorType(dt, b, hkv, total, d))
	SetOut(n, 2, ir.TensorType(dt, b, hkv, total, dv))
	SetOut(n, 3, ir.TensorType(dt, b, hq, sq, total))
	if mt := InType(n, 3); n.Input(3) != nil && mt.DType != runtime.Undefined && mt.DType != runtime.Bool && mt.DType != dt {
		return Errorf(n, "attn_mask of %s with inputs of %s", mt.DType, dt)
	}
	if m := n.GetInt("qk_matmul_output_mode", 0); m < 0 || m > 3 {
		return Errorf(n, "qk_matmul_output_mode %d, want 0 to 3", m)
	}
	return nil
}
