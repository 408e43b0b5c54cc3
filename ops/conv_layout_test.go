package ops

import (
	"fmt"
	"strings"
	"testing"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// TestBlockConvChains checks which values BlockConvChains stores in the blocked layout, on
// small programs written as lines "out = conv(x[, z]) pad C [HW]", a ConvBlocked with input
// channels C and pads (all four; kernels of 2*pad+1), spatial dims HW x HW (8 unless given),
// "out = mp(x)", a 3x3 max pooling, "out = gap(x)", a global average pooling, or "out =
// pool(...)", any other kernel, and the graph's outputs.
func TestBlockConvChains(t *testing.T) {
	for _, c := range []struct {
		name, prog, outs string
		// want: each conv's layouts as "x/y/z" with - for NCHW and the border otherwise, and w
		// when it became a ConvWinograd.
		want string
	}{
		{"chain", "a = conv(in) 1 3; b = conv(a) 1 64; c = conv(b) 0 64", "c",
			"-/1/- 1/0/-w 0/-/-"},
		{"largest pads", "a = conv(in) 1 64; b = conv(a) 2 64; c = conv(a) 0 64; d = pool(b, c)", "d",
			"-/2/- 2/-/- 2/-/-"},
		{"input channels not blocked", "a = conv(in) 1 64; b = conv(a) 1 3", "b", "-/-/- -/-/-"},
		{"used by another kernel", "a = conv(in) 1 64; b = conv(a) 1 64; c = pool(a)", "b,c", "-/-/- -/-/-"},
		{"graph output", "a = conv(in) 1 64; b = conv(a) 1 64", "a,b", "-/-/- -/-/-"},
		// Residual blocks: the output and Z of a conv are blocked together.
		{"residual", "a = conv(in) 1 64; b = conv(a) 1 64; c = conv(b, a) 1 64; d = conv(c) 1 64; e = pool(d)", "e",
			"-/1/- 1/1/-w 1/1/1w 1/-/-"},
		// A Z that no blocked conv produces keeps the output in NCHW, and so the Z of the
		// next conv whose Z that output is.
		{"z from a pool", "p = pool(in); a = conv(p) 1 64; b = conv(a, p) 1 64; c = conv(b) 1 64; d = conv(c, b) 1 64; e = pool(d)", "e",
			"-/1/- 1/-/- -/1/- 1/-/-"},
		// A max pooling (mp) between convolutions is blocked with them, input and output
		// together; after an NCHW value it stays a Pooling.
		{"stem pooling", "s = conv(in) 1 3; p = mp(s); a = conv(p) 1 64; b = conv(a, p) 1 64; c = conv(b) 1 64; d = pool(c)", "d",
			"-/1/- 1/1/-w 1/1/1w 1/-/- MaxPoolBlocked 1/1"},
		// An odd output's last Winograd tiles read a row and a column past the pads.
		{"odd winograd", "a = conv(in) 1 64; b = conv(a) 1 64 7; c = conv(b) 1 64 7; d = pool(c)", "d",
			"-/{On:true Top:1 Left:1 Bottom:2 Right:2}/- {On:true Top:1 Left:1 Bottom:2 Right:2}/1/-w 1/-/-"},
		// A global average pooling reads the blocked layout, so the last residual block of a
		// backbone stays blocked; used elsewhere too, its input does not.
		{"head pooling", "a = conv(in) 1 64; b = conv(a) 1 64; c = conv(b, a) 1 64; d = gap(c)", "d",
			"-/1/- 1/1/-w 1/1/1w GlobalAvgPoolBlocked 1"},
		{"head pooling input used elsewhere", "a = conv(in) 1 64; b = conv(a) 1 64; d = gap(b); e = pool(b, d)", "e",
			"-/1/- 1/-/- Pooling"},
		{"pooling after NCHW", "p = mp(in); a = conv(p) 1 64; b = pool(a)", "b", "-/-/- Pooling"},
		{"pooling output used elsewhere", "s = conv(in) 1 3; p = mp(s); a = conv(p) 1 64; b = pool(a, p)", "b", "-/-/- -/-/- Pooling"},
	} {
		t.Run(c.name, func(t *testing.T) {
			prog, convs := blkTestProgram(t, c.prog, c.outs)
			BlockConvChains(prog)
			f := func(l runtime.BlkLayout) string {
				if !l.On {
					return "-"
				}
				if l.Top != l.Left || l.Top != l.Bottom || l.Top != l.Right {
					return fmt.Sprintf("%+v", l)
				}
				return fmt.Sprint(l.Top)
			}
			var got []string
			for _, k := range convs {
				g := k.Params.(*runtime.ConvGeomParams)
				s := f(g.XLayout) + "/" + f(g.YLayout) + "/" + f(g.ZLayout)
				switch {
				case k.Entry == lowered.ConvWinograd && k.Prepack[0].Layout == lowered.PackConvWinograd:
					s += "w"
				case k.Entry != lowered.ConvBlocked || k.Prepack[0].Layout != lowered.PackConvBlocked:
					s += fmt.Sprintf("(%s, %v)", k.Entry, k.Prepack)
				}
				got = append(got, s)
			}
			for _, k := range prog.Graphs[0].Kernels {
				if k.Entry == lowered.MaxPoolBlocked {
					pp := k.Params.(*runtime.MaxPoolBlockedParams)
					got = append(got, "MaxPoolBlocked", f(pp.XLayout)+"/"+f(pp.YLayout))
				} else if k.Entry == lowered.GlobalAvgPoolBlocked {
					got = append(got, "GlobalAvgPoolBlocked", f(k.Params.(*runtime.GlobalAvgPoolBlockedParams).XLayout))
				} else if k.Entry == lowered.Pooling {
					got = append(got, "Pooling")
				}
			}
			if s := strings.Join(got, " "); s != c.want {
				t.Errorf("layouts %s, want %s", s, c.want)
			}
		})
	}
}

// blkTestProgram builds a one-graph program from lines "out = conv(x[, z]) pad C" and
// "out = pool(a, ...)", values 1x64x8x8 (the input "in" too).
func blkTestProgram(t *testing.T, src, outs string) (*lowered.Program, []*lowered.Kernel) {
	g := &ir.Graph{}
	vals := map[string]*ir.Value{}
	val := func(name string) *ir.Value {
		if v, ok := vals[name]; ok {
			return v
		}
		v := &ir.Value{Name: name, Graph: g, Type: ir.Type{DType: runtime.Float32, RankKnown: true,
			Shape: []ir.Dim{ir.Static(1), ir.Static(64), ir.Static(8), ir.Static(8)}}}
		vals[name] = v
		return v
	}
	lg := &lowered.Graph{IR: g}
	var convs []*lowered.Kernel
	for _, line := range strings.Split(src, ";") {
		var out, call string
		var pad, ch int
		f := strings.Fields(line)
		out, call = f[0], f[2]
		op, args, _ := strings.Cut(strings.TrimSuffix(call, ")"), "(")
		if strings.HasSuffix(call, ",") {
			// "conv(b, a)": the call spans two fields.
			args = strings.TrimSuffix(args, ",") + "," + strings.TrimSuffix(f[3], ")")
			f = append(f[:3], f[4:]...)
		}
		k := &lowered.Kernel{Entry: lowered.Binary, Out: []lowered.Operand{lowered.OperandOf(val(out))}}
		for _, a := range strings.Split(args, ",") {
			k.In = append(k.In, lowered.OperandOf(val(a)))
		}
		if op == "mp" {
			k.Entry = lowered.Pooling
			k.Params = &runtime.PoolParams{Mode: runtime.PoolMax, KernelShape: []int{3, 3}, Strides: []int{1, 1},
				Dilations: []int{1, 1}, Pads: []int{1, 1, 1, 1}, AutoPad: "NOTSET"}
		}
		if op == "gap" {
			k.Entry = lowered.Pooling
			k.Params = &runtime.PoolParams{Mode: runtime.PoolAvg, Global: true}
		}
		if op == "conv" {
			fmt.Sscan(f[3], &pad)
			fmt.Sscan(f[4], &ch)
			hw := 8
			if len(f) > 5 {
				fmt.Sscan(f[5], &hw)
			}
			k.Entry = lowered.ConvBlocked
			k.Prepack = []lowered.Prepack{{Input: 1, Layout: lowered.PackConvBlocked, Groups: 1, M: 64, K: ch, N: (2*pad + 1) * (2*pad + 1)}}
			k.Params = &runtime.ConvGeomParams{C: ch, M: 64, Group: 1, In: []int{hw, hw}, Out: []int{hw, hw},
				Kernel: []int{2*pad + 1, 2*pad + 1}, Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{pad, pad, pad, pad}}
			// Conv inputs: x, w, b, then Z.
			x := k.In[0]
			k.In = []lowered.Operand{x, {}, {}}
			if len(strings.Split(args, ",")) > 1 {
				k.In = append(k.In, lowered.OperandOf(val(strings.Split(args, ",")[1])))
			}
			convs = append(convs, k)
		}
		lg.Kernels = append(lg.Kernels, k)
	}
	for _, o := range strings.Split(outs, ",") {
		g.Outputs = append(g.Outputs, val(o))
	}
	return &lowered.Program{Graphs: []*lowered.Graph{lg}}, convs
}
