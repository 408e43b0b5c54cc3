package cuda

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/onnxc/onnxc/codegen/cuda/ptx"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Resize, nearest and (non-antialiased) linear, one thread per output element. The source
// index and weight of every output position along each axis are fixed at compile time; rather
// than restate the coordinate transforms and rounding modes, the generator asks the reference
// kernel: resizing an input that holds, along axis d, its own index gives, along d, the source
// coordinate of each output position (nearest: an index; linear: i0 + w, which is what a
// two-tap interpolation of a ramp yields). The tables are arrays in the module. Cubic,
// antialiasing, tf_crop_and_resize and non-constant scales or sizes stay on the CPU path.
func init() { register(lowered.Resize, genResize) }

// rzTables is the per-axis plan: for each axis, the first source index and the weight of the
// second tap (0 for nearest and for axes that keep their size).
type rzTables struct {
	in, out []int
	i0      [][]int32
	w       [][]float32
	linear  bool
}

func resizeTables(k *lowered.Kernel) (*rzTables, bool) {
	p := k.Params.(*runtime.ResizeParams)
	d, ok := staticF32(k.In[0], k.Out[0])
	if !ok || p.Antialias || p.CoordMode == "tf_crop_and_resize" || (p.Mode != "" && p.Mode != "nearest" && p.Mode != "linear") {
		return nil, false
	}
	in := []*runtime.Tensor{nil}
	for i := 1; i < len(k.In); i++ {
		if k.In[i].Value == nil {
			in = append(in, nil)
			continue
		}
		if k.In[i].Value.Const == nil {
			return nil, false
		}
		in = append(in, k.In[i].Value.Const)
	}
	t := &rzTables{in: d[0], out: d[1], linear: p.Mode == "linear"}
	if len(t.in) != len(t.out) || numel(t.in) == 0 || numel(t.out) == 0 {
		return nil, false
	}
	for ax := range t.in {
		i0, w := make([]int32, t.out[ax]), make([]float32, t.out[ax])
		t.i0, t.w = append(t.i0, i0), append(t.w, w)
		if t.in[ax] == 1 {
			continue // every position reads index 0
		}
		probe := runtime.New(runtime.Float32, t.in...)
		pd := runtime.Data[float32](probe)
		inner := numel(t.in[ax+1:])
		for i := range pd {
			pd[i] = float32(i / inner % t.in[ax])
		}
		in[0] = probe
		out := []*runtime.Tensor{runtime.New(runtime.Float32)}
		if err := runtime.Resize(runtime.NewExec(nil), p, out, in); err != nil || !slices.Equal(out[0].Shape, t.out) {
			return nil, false
		}
		od, oinner := runtime.Data[float32](out[0]), numel(t.out[ax+1:])
		for o := range i0 {
			v := float64(od[o*oinner])
			f := math.Floor(v)
			if !t.linear || f >= float64(t.in[ax]-1) {
				f = math.Min(f, float64(t.in[ax]-1))
			}
			if !t.linear && v != f {
				return nil, false // not an index: not the nearest mode this table supports
			}
			i0[o], w[o] = int32(f), float32(v-f)
		}
	}
	return t, true
}

// coords is the output coordinate along each axis of element idx.
func (t *rzTables) coords(idx ptx.Expr) []ptx.Expr {
	c := make([]ptx.Expr, len(t.out))
	for ax := len(t.out) - 1; ax >= 0; ax-- {
		c[ax] = ptx.Rem(idx, ptx.C(t.out[ax]))
		idx = ptx.Div(idx, ptx.C(t.out[ax]))
	}
	return c
}

// taps is the number of source positions along ax: 2 where a linear table has a weight.
func (t *rzTables) taps(ax int) int {
	for _, w := range t.w[ax] {
		if w != 0 {
			return 2
		}
	}
	return 1
}

func genResize(k *lowered.Kernel, tg Target) (*Kernel, bool, error) {
	t, ok := resizeTables(k)
	if !ok {
		return nil, false, nil
	}
	total := numel(t.out)
	f := ptx.NewFunc(entryName(k.Entry, map[bool]string{false: "nearest", true: "linear"}[t.linear]))
	px, py := f.PtrParam(), f.PtrParam()
	var tables strings.Builder
	ewBegin(f, total)
	coords := t.coords(ewIndex())
	src := make([]string, len(t.out)) // source index register per axis
	wt := make([]string, len(t.out))  // second tap's weight register, or ""
	for ax := range t.out {
		if t.in[ax] == 1 {
			src[ax] = f.R(ptx.C(0))
			continue
		}
		name := fmt.Sprintf("rz_i0_%d", ax)
		writeTable(&tables, name, ".s32", len(t.i0[ax]), func(i int) string { return fmt.Sprint(t.i0[ax][i]) })
		src[ax] = f.Reg(ptx.B32)
		f.Op("ld.global.s32 %s, [%s]", src[ax], tableAddr(f, name, coords[ax]))
		if t.taps(ax) == 2 {
			name := fmt.Sprintf("rz_w_%d", ax)
			writeTable(&tables, name, ".f32", len(t.w[ax]), func(i int) string { return ptx.Float(t.w[ax][i]) })
			wt[ax] = f.Reg(ptx.F32)
			f.Op("ld.global.f32 %s, [%s]", wt[ax], tableAddr(f, name, coords[ax]))
		}
	}
	acc := f.Reg(ptx.F32)
	f.Op("mov.f32 %s, %s", acc, zero)
	// Every corner of the taps: bit ax of c says the second tap along ax.
	for c := 0; c < 1<<len(t.out); c++ {
		off, weight, skip := ptx.C(0), "", false
		for ax := range t.out {
			second := c>>ax&1 == 1
			if second && wt[ax] == "" {
				skip = true
				break
			}
			i := ptx.V(fmt.Sprintf("src%d", ax))
			f.Bind(fmt.Sprintf("src%d", ax), src[ax])
			if second {
				// The clamped upper neighbour; its weight is 0 where i0 is the last index.
				i = ptx.Min(ptx.Add(i, ptx.C(1)), ptx.C(t.in[ax]-1))
			}
			off = ptx.Add(ptx.Mul(off, ptx.C(t.in[ax])), i)
			if wt[ax] != "" {
				w := f.Reg(ptx.F32)
				if second {
					f.Op("mov.f32 %s, %s", w, wt[ax])
				} else {
					f.Op("sub.f32 %s, %s, %s", w, ptx.Float(1), wt[ax])
				}
				if weight != "" {
					f.Op("mul.f32 %s, %s, %s", w, w, weight)
				}
				weight = w
			}
		}
		if skip {
			continue
		}
		x := f.LoadF32(px, off, nil)
		if weight == "" {
			f.Op("add.f32 %s, %s, %s", acc, acc, x)
		} else {
			f.Op("fma.rn.f32 %s, %s, %s, %s", acc, x, weight, acc)
		}
	}
	f.Op("st.global.f32 [%s], %s", f.Addr(py, ewIndex(), 4), acc)
	mod := ptx.Module(tg.SM, f)
	// The tables go before the entry that reads them.
	if i := strings.Index(mod, ".visible .entry"); i >= 0 {
		mod = mod[:i] + tables.String() + "\n" + mod[i:]
	}
	return &Kernel{PTX: mod, Launches: []Launch{ewLaunch(f, total, []Arg{{Kind: ArgIn, Index: 0}, {Kind: ArgOut, Index: 0}})}}, true, nil
}

// writeTable writes a module-scope global array initialized with elem(i).
func writeTable(b *strings.Builder, name, typ string, n int, elem func(int) string) {
	fmt.Fprintf(b, ".global .align 4 %s %s[%d] = {", typ, name, n)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(elem(i))
	}
	b.WriteString("};\n")
}

// tableAddr is the address of element i of the 4-byte table name.
func tableAddr(f *ptx.Func, name string, i ptx.Expr) string {
	base := f.Reg(ptx.B64)
	f.Op("mov.u64 %s, %s", base, name)
	return f.Addr(base, i, 4)
}
