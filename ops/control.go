package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Control flow: If, Loop and Scan hold regions (nested graphs). Their kernels take the regions
// as runtime.Body functions that code generation binds to the functions it generates for them.

func init() {
	Register(
		&Def{
			Op: "If", MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: -1,
			Doc:          "runs then_branch or else_branch",
			RegionInputs: func(n *ir.Node) {},
			Infer:        inferIf,
			Lower: func(n *ir.Node) (Call, error) {
				c := K(lowered.If, &runtime.IfParams{})
				c.Bodies = []*ir.Graph{n.Region("then_branch"), n.Region("else_branch")}
				return c, nil
			},
		},
		&Def{
			Op: "Loop", MinIn: 2, MaxIn: -1, MinOut: 0, MaxOut: -1,
			Doc:          "runs body while the trip count and condition allow",
			RegionInputs: loopRegionInputs,
			Infer:        inferLoop,
			Lower: func(n *ir.Node) (Call, error) {
				c := K(lowered.Loop, &runtime.LoopParams{})
				c.Bodies = []*ir.Graph{n.Region("body")}
				return c, nil
			},
		},
		&Def{
			Op: "Scan", MinIn: 1, MaxIn: -1, MinOut: 1, MaxOut: -1,
			Doc:          "runs body over slices of the scan inputs",
			RegionInputs: scanRegionInputs,
			Infer:        inferScan,
			Lower:        lowerScan,
		},
	)
}

func inferIf(n *ir.Node) error {
	th, el := n.Region("then_branch"), n.Region("else_branch")
	if th == nil || el == nil {
		return Errorf(n, "needs then_branch and else_branch")
	}
	if len(th.Outputs) != len(n.Outputs) || len(el.Outputs) != len(n.Outputs) {
		return Errorf(n, "branches have %d and %d outputs, the node %d", len(th.Outputs), len(el.Outputs), len(n.Outputs))
	}
	for i := range n.Outputs {
		SetOut(n, i, mergeTypes(th.Outputs[i].Type, el.Outputs[i].Type))
	}
	return nil
}

// mergeTypes is the most precise type both a and b satisfy.
func mergeTypes(a, b ir.Type) ir.Type {
	if a.Kind != b.Kind || a.DType != b.DType {
		if a.DType == 0 {
			return b
		}
		return a
	}
	if !a.RankKnown || !b.RankKnown || len(a.Shape) != len(b.Shape) {
		return ir.Type{Kind: a.Kind, DType: a.DType, Elem: a.Elem}
	}
	out := ir.TensorType(a.DType, make([]ir.Dim, len(a.Shape))...)
	for i := range a.Shape {
		if a.Shape[i] == b.Shape[i] {
			out.Shape[i] = a.Shape[i]
		} else {
			out.Shape[i] = ir.Unknown()
		}
	}
	return out
}

// loopRegionInputs types the body's (iteration, condition, carried...) inputs. A carried
// value's shape may change between iterations, so only what the body declares, or the element
// type and rank, is kept.
func loopRegionInputs(n *ir.Node) {
	body := n.Region("body")
	if body == nil {
		return
	}
	for i, in := range body.Inputs {
		switch {
		case i == 0:
			setIfUntyped(in, ir.StaticType(runtime.Int64))
		case i == 1:
			setIfUntyped(in, ir.StaticType(runtime.Bool))
		default:
			if v := n.Input(i); v != nil {
				setIfUntyped(in, looseType(v.Type))
			}
		}
	}
}

func setIfUntyped(v *ir.Value, t ir.Type) {
	if v.Type.DType == 0 && v.Type.Kind == ir.TensorKind {
		v.Type = t
	}
}

// looseType keeps the element type and rank but not the dims.
func looseType(t ir.Type) ir.Type {
	if !t.RankKnown {
		return t
	}
	dims := make([]ir.Dim, len(t.Shape))
	for i := range dims {
		dims[i] = ir.Unknown()
	}
	return ir.Type{Kind: t.Kind, DType: t.DType, Shape: dims, RankKnown: true, Elem: t.Elem}
}

func inferLoop(n *ir.Node) error {
	body := n.Region("body")
	if body == nil {
		return Errorf(n, "needs a body")
	}
	nCarried := len(n.Inputs) - 2
	if len(body.Inputs) != nCarried+2 || len(body.Outputs) < nCarried+1 || len(n.Outputs) != len(body.Outputs)-1 {
		return Errorf(n, "body has %d inputs and %d outputs for %d carried values and %d outputs", len(body.Inputs), len(body.Outputs), nCarried, len(n.Outputs))
	}
	for k := 0; k < nCarried; k++ {
		SetOut(n, k, mergeTypes(n.Inputs[2+k].Type, body.Outputs[1+k].Type))
	}
	for j := nCarried; j < len(n.Outputs); j++ {
		SetOut(n, j, prependDim(body.Outputs[1+j].Type, ir.Unknown()))
	}
	return nil
}

func prependDim(t ir.Type, d ir.Dim) ir.Type {
	if !t.RankKnown {
		return ir.Type{DType: t.DType}
	}
	return ir.TensorType(t.DType, append([]ir.Dim{d}, t.Shape...)...)
}

func scanRegionInputs(n *ir.Node) {
	body := n.Region("body")
	if body == nil {
		return
	}
	m := int(n.GetInt("num_scan_inputs", 0))
	nState := len(n.Inputs) - m
	axes := n.GetInts("scan_input_axes", nil)
	for i, in := range body.Inputs {
		v := n.Input(i)
		if v == nil {
			continue
		}
		if i < nState {
			setIfUntyped(in, v.Type)
			continue
		}
		j := i - nState
		t := v.Type
		if !t.RankKnown {
			setIfUntyped(in, ir.Type{DType: t.DType})
			continue
		}
		ax := 0
		if j < len(axes) {
			ax = int(axes[j])
			if ax < 0 {
				ax += len(t.Shape)
			}
		}
		if ax < 0 || ax >= len(t.Shape) {
			continue
		}
		dims := append(append([]ir.Dim{}, t.Shape[:ax]...), t.Shape[ax+1:]...)
		setIfUntyped(in, ir.TensorType(t.DType, dims...))
	}
}

func inferScan(n *ir.Node) error {
	body := n.Region("body")
	if body == nil {
		return Errorf(n, "needs a body")
	}
	m := int(n.GetInt("num_scan_inputs", 0))
	nState := len(n.Inputs) - m
	if m <= 0 || nState < 0 || len(body.Outputs) != len(n.Outputs) || len(body.Inputs) != len(n.Inputs) {
		return Errorf(n, "num_scan_inputs %d does not fit %d inputs, %d outputs and a body of %d inputs and %d outputs", m, len(n.Inputs), len(n.Outputs), len(body.Inputs), len(body.Outputs))
	}
	steps := ir.Unknown()
	if t := InType(n, nState); t.RankKnown {
		axes := n.GetInts("scan_input_axes", nil)
		ax := 0
		if len(axes) > 0 {
			ax = int(axes[0])
			if ax < 0 {
				ax += len(t.Shape)
			}
		}
		if ax >= 0 && ax < len(t.Shape) {
			steps = t.Shape[ax]
		}
	}
	for k := 0; k < nState; k++ {
		SetOut(n, k, mergeTypes(n.Inputs[k].Type, body.Outputs[k].Type))
	}
	outAxes := n.GetInts("scan_output_axes", nil)
	for j := nState; j < len(n.Outputs); j++ {
		t := body.Outputs[j].Type
		if !t.RankKnown {
			SetOut(n, j, ir.Type{DType: t.DType})
			continue
		}
		ax := 0
		if k := j - nState; k < len(outAxes) {
			ax = int(outAxes[k])
			if ax < 0 {
				ax += len(t.Shape) + 1
			}
		}
		if ax < 0 || ax > len(t.Shape) {
			return Errorf(n, "scan_output_axes %d out of range", ax)
		}
		dims := append(append(append([]ir.Dim{}, t.Shape[:ax]...), steps), t.Shape[ax:]...)
		SetOut(n, j, ir.TensorType(t.DType, dims...))
	}
	return nil
}

func lowerScan(n *ir.Node) (Call, error) {
	m := int(n.GetInt("num_scan_inputs", 0))
	nState := len(n.Inputs) - m
	p := &runtime.ScanParams{NumScanInputs: m}
	inAxes := n.GetInts("scan_input_axes", nil)
	inDirs := n.GetInts("scan_input_directions", nil)
	for j := 0; j < m; j++ {
		ax := 0
		if j < len(inAxes) {
			r := InType(n, nState+j).Rank()
			var err error
			if ax, err = NormAxis(n, inAxes[j], max(r, 1)); err != nil && r >= 0 {
				return Call{}, err
			}
		}
		p.InputAxes = append(p.InputAxes, ax)
		p.InputReverse = append(p.InputReverse, j < len(inDirs) && inDirs[j] == 1)
	}
	outAxes := n.GetInts("scan_output_axes", nil)
	outDirs := n.GetInts("scan_output_directions", nil)
	for k := 0; k < len(n.Outputs)-nState; k++ {
		ax := 0
		if k < len(outAxes) {
			ax = int(outAxes[k])
			if ax < 0 {
				ax += n.Outputs[nState+k].Type.Rank()
			}
		}
		p.OutputAxes = append(p.OutputAxes, ax)
		p.OutputReverse = append(p.OutputReverse, k < len(outDirs) && outDirs[k] == 1)
	}
	c := K(lowered.Scan, p)
	c.Bodies = []*ir.Graph{n.Region("body")}
	return c, nil
}
