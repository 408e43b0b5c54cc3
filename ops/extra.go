package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// BitCast and TensorScatter.

func exBitCastTo(n *ir.Node) (ir.DType, error) {
	if !n.Has("to") {
		return 0, Errorf(n, "missing attribute to")
	}
	to := ir.DType(n.GetInt("to", 0))
	if !to.Valid() || to == runtime.String {
		return 0, Errorf(n, "to=%d is not a supported non-string type", n.GetInt("to", 0))
	}
	return to, nil
}

func init() {
	Register(&Def{
		Op: "BitCast", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Doc: "reinterpret element bits as another type of the same size",
		Infer: func(n *ir.Node) error {
			to, err := exBitCastTo(n)
			if err != nil {
				return err
			}
			t := InType(n, 0)
			if t.DType == runtime.String {
				return Errorf(n, "bitcast of string")
			}
			if t.DType != runtime.Undefined && t.DType.Bits() != to.Bits() {
				return Errorf(n, "bitcast from %s to %s: element sizes differ", t.DType, to)
			}
			t.DType = to
			SetOut(n, 0, t)
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			to, err := exBitCastTo(n)
			if err != nil {
				return Call{}, err
			}
			return K(lowered.BitCast, &runtime.BitCastParams{To: to}), nil
		},
	})
	Register(&Def{
		Op: "TensorScatter", MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Doc: "write an update into a copy of a cache along the sequence axis at per-batch offsets",
		Infer: func(n *ir.Node) error {
			c, u := InType(n, 0), InType(n, 1)
			if c.DType != runtime.Undefined && u.DType != runtime.Undefined && c.DType != u.DType {
				return Errorf(n, "cache of %s and update of %s", c.DType, u.DType)
			}
			if m := n.GetString("mode", "linear"); m != "linear" && m != "circular" {
				return Errorf(n, "unknown mode %q", m)
			}
			if c.RankKnown {
				axis, err := NormAxis(n, n.GetInt("axis", -2), len(c.Shape))
				if err != nil {
					return err
				}
				if axis == 0 {
					return Errorf(n, "axis must not be the batch axis")
				}
			}
			SetOut(n, 0, c)
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			return K(lowered.TensorScatter, &runtime.TensorScatterParams{
				Axis:     int(n.GetInt("axis", -2)),
				Circular: n.GetString("mode", "linear") == "circular",
			}), nil
		},
	})
}

func exLinAttnParams(n *ir.Node) (*runtime.LinearAttentionParams, error) {
	rule := n.GetString("update_rule", "gated_delta")
	p := &runtime.LinearAttentionParams{
		QHeads:  int(n.GetInt("q_num_heads", 0)),
		KVHeads: int(n.GetInt("kv_num_heads", 0)),
		Scale:   float32(n.GetFloat("scale", 0)),
	}
	switch rule {
	case "linear":
	case "gated":
		p.Gated = true
	case "delta":
		p.Delta = true
	case "gated_delta":
		p.Gated, p.Delta = true, true
	default:
		return nil, Errorf(n, "unknown update_rule %q", rule)
	}
	if p.QHeads <= 0 || p.KVHeads <= 0 || p.QHeads%p.KVHeads != 0 {
		return nil, Errorf(n, "q_num_heads %d must be a positive multiple of kv_num_heads %d", p.QHeads, p.KVHeads)
	}
	if p.Gated != (n.Input(4) != nil) {
		return nil, Errorf(n, "update_rule %q and the presence of decay disagree", rule)
	}
	if p.Delta != (n.Input(5) != nil) {
		return nil, Errorf(n, "update_rule %q and the presence of beta disagree", rule)
	}
	if !p.Delta && n.Input(6) != nil {
		return nil, Errorf(n, "update_rule %q forbids erase_gate", rule)
	}
	return p, nil
}

func init() {
	Register(&Def{
		Op: "LinearAttention", MinIn: 3, MaxIn: 7, MinOut: 1, MaxOut: 2,
		Doc: "recurrent linear attention (linear, gated, delta or gated-delta state update)",
		Infer: func(n *ir.Node) error {
			p, err := exLinAttnParams(n)
			if err != nil {
				return err
			}
			for i := 0; i < 7; i++ {
				if dt := InType(n, i).DType; dt != runtime.Undefined && !dt.IsFloat() {
					return Errorf(n, "input %d is %s, want a float type", i, dt)
				}
			}
			q, k, v := InType(n, 0), InType(n, 1), InType(n, 2)
			for i, t := range []ir.Type{q, k, v} {
				if t.RankKnown && len(t.Shape) != 3 {
					return Errorf(n, "input %d of rank %d, want 3", i, len(t.Shape))
				}
			}
			b, t, hd := ir.Unknown(), ir.Unknown(), ir.Unknown()
			dk, dv := ir.Unknown(), ir.Unknown()
			if q.RankKnown {
				b, t = q.Shape[0], q.Shape[1]
				if q.Shape[2].IsStatic() {
					dk = ir.Static(q.Shape[2].N / int64(p.QHeads))
				}
			}
			if v.RankKnown && v.Shape[2].IsStatic() {
				dv = ir.Static(v.Shape[2].N / int64(p.KVHeads))
				hd = ir.Static(dv.N * int64(p.QHeads))
			}
			SetOut(n, 0, ir.TensorType(q.DType, b, t, hd))
			sdt := q.DType
			if past := n.Input(3); past != nil {
				sdt = past.Type.DType
			}
			SetOut(n, 1, ir.TensorType(sdt, b, ir.Static(int64(p.KVHeads)), dk, dv))
			return nil
		},
		Lower: func(n *ir.Node) (Call, error) {
			p, err := exLinAttnParams(n)
			if err != nil {
				return Call{}, err
			}
			return K(lowered.LinearAttention, p), nil
		},
	})
}
