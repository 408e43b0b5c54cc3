package ir

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/onnxc/onnxc/runtime"
)

// Print writes a stable text form of the model. Values print as %id with the frontend name as
// a comment where it helps; constants print their type and, when small, their contents, so
// golden files show what folding produced.
//
//	graph main(%0: float32[N,3], %1: int64[2]) -> (%5) {
//	  %2 = const float32[3] [1 2 3]
//	  %5:float32[N,3] = Add(%0, %2)   # "add_out" node "add0"
//	}
func Print(w io.Writer, m *Model) error {
	p := &printer{w: w}
	p.graph(m.Graph, "")
	return p.err
}

// String is Print into a string.
func (m *Model) String() string {
	var b strings.Builder
	_ = Print(&b, m)
	return b.String()
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) graph(g *Graph, indent string) {
	p.printf("graph %s(", g.Name)
	for i, in := range g.Inputs {
		if i > 0 {
			p.printf(", ")
		}
		p.printf("%v: %s", in, in.Type)
		if in.Default != nil {
			p.printf(" = default")
		}
	}
	p.printf(") -> (")
	for i, o := range g.Outputs {
		if i > 0 {
			p.printf(", ")
		}
		p.printf("%v", o)
	}
	p.printf(") {\n")
	in := indent + "  "
	for _, c := range g.Consts {
		p.printf("%s%v = const %s%s%s\n", in, c, c.Type, constSummary(c.Const), nameComment(c.Name, ""))
	}
	for _, n := range g.Nodes {
		p.printf("%s", in)
		for i, o := range n.Outputs {
			if i > 0 {
				p.printf(", ")
			}
			if o == nil {
				p.printf("_")
				continue
			}
			p.printf("%v:%s", o, o.Type)
		}
		op := n.Op
		if n.Domain != "" {
			op = n.Domain + "." + op
		}
		p.printf(" = %s(", op)
		for i, a := range n.Inputs {
			if i > 0 {
				p.printf(", ")
			}
			if a == nil {
				p.printf("_")
			} else {
				p.printf("%v", a)
			}
		}
		p.printf(")")
		if len(n.Attrs) > 0 {
			p.printf(" {")
			for i, a := range n.Attrs {
				if i > 0 {
					p.printf(", ")
				}
				p.printf("%s=%s", a.Name, attrString(a))
			}
			p.printf("}")
		}
		outName := ""
		if len(n.Outputs) > 0 && n.Outputs[0] != nil {
			outName = n.Outputs[0].Name
		}
		p.printf("%s\n", nameComment(outName, n.Name))
		for _, r := range n.Regions {
			p.printf("%s  %s: ", in, r.Name)
			p.graph(r.Graph, in+"  ")
		}
	}
	p.printf("%s}\n", indent)
}

func nameComment(value, node string) string {
	switch {
	case value != "" && node != "":
		return fmt.Sprintf("  # %q node %q", value, node)
	case value != "":
		return fmt.Sprintf("  # %q", value)
	case node != "":
		return fmt.Sprintf("  # node %q", node)
	}
	return ""
}

func attrString(a Attr) string {
	switch a.Kind {
	case AttrInt:
		return fmt.Sprint(a.Int)
	case AttrFloat:
		return formatFloat(a.Float)
	case AttrString:
		return fmt.Sprintf("%q", a.Str)
	case AttrInts:
		return fmt.Sprint(a.Ints)
	case AttrFloats:
		parts := make([]string, len(a.Floats))
		for i, f := range a.Floats {
			parts[i] = formatFloat(f)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case AttrStrings:
		return fmt.Sprintf("%q", a.Strings)
	case AttrTensor:
		return "tensor " + a.Tensor.String() + constSummary(a.Tensor)
	case AttrType:
		return a.Type.String()
	}
	return "?"
}

func formatFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return fmt.Sprintf("%.1f", f)
	}
	return fmt.Sprint(float32(f))
}

// constSummary shows up to 8 elements of a constant.
func constSummary(t *runtime.Tensor) string {
	if t == nil {
		return ""
	}
	n := t.Len()
	if n > 8 {
		return ""
	}
	var parts []string
	for i := 0; i < n; i++ {
		parts = append(parts, elemString(t, i))
	}
	return " [" + strings.Join(parts, " ") + "]"
}

func elemString(t *runtime.Tensor, i int) string {
	switch t.DType {
	case runtime.Float32:
		return fmt.Sprint(runtime.Data[float32](t)[i])
	case runtime.Float64:
		return fmt.Sprint(runtime.Data[float64](t)[i])
	case runtime.Float16:
		return fmt.Sprint(runtime.Data[runtime.F16](t)[i].Float32())
	case runtime.BFloat16:
		return fmt.Sprint(runtime.Data[runtime.BF16](t)[i].Float32())
	case runtime.Int8:
		return fmt.Sprint(runtime.Data[int8](t)[i])
	case runtime.Int16:
		return fmt.Sprint(runtime.Data[int16](t)[i])
	case runtime.Int32:
		return fmt.Sprint(runtime.Data[int32](t)[i])
	case runtime.Int64:
		return fmt.Sprint(runtime.Data[int64](t)[i])
	case runtime.Uint8:
		return fmt.Sprint(runtime.Data[uint8](t)[i])
	case runtime.Uint16:
		return fmt.Sprint(runtime.Data[uint16](t)[i])
	case runtime.Uint32:
		return fmt.Sprint(runtime.Data[uint32](t)[i])
	case runtime.Uint64:
		return fmt.Sprint(runtime.Data[uint64](t)[i])
	case runtime.Bool:
		return fmt.Sprint(runtime.Data[bool](t)[i])
	case runtime.String:
		return fmt.Sprintf("%q", t.Strs[i])
	}
	return "?"
}
