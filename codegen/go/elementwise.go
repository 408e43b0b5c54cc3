package gogen

import (
	"fmt"
	"math"
	"strconv"

	"github.com/dave/jennifer/jen"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/runtime"
)

// Fused elementwise programs (lowered.Elementwise) are not calls into the runtime: each becomes
// a loop of its own in the generated package, with the program's steps spelled as Go
// expressions over float32 locals. Every spelling computes what runtime.EwEval does, rounded to
// float32 after each step (compiler's TestFusedElementwiseMatchesTable checks it bit for bit).
// Exp, Sigmoid, Tanh and Erf are the exception: a scalar float64 call per element would cost
// more than the rest of the loop (GELU's erf was a quarter of a transformer's run), so a
// program with them runs in blocks of ewBlock elements, each such step one call of the
// vectorized runtime.VecExp, VecSigmoid, VecTanh or VecErf on the block, the other steps
// scalar loops between the calls. Those four are then within 2 ulp of EwEval, as the unfused
// kernels, which run the same vecmath.go functions.

// ewSpell spells one step: a and b are the operands' Go expressions.
var ewSpell = [runtime.EwOpCount]func(s runtime.EwStep, a, b jen.Code) jen.Code{
	runtime.EwConst: func(s runtime.EwStep, _, _ jen.Code) jen.Code { return f32Lit(s.Alpha) },
	runtime.EwAdd:   func(_ runtime.EwStep, a, b jen.Code) jen.Code { return jen.Add(a).Op("+").Add(b) },
	runtime.EwSub:   func(_ runtime.EwStep, a, b jen.Code) jen.Code { return jen.Add(a).Op("-").Add(b) },
	runtime.EwMul:   func(_ runtime.EwStep, a, b jen.Code) jen.Code { return jen.Add(a).Op("*").Add(b) },
	runtime.EwDiv:   func(_ runtime.EwStep, a, b jen.Code) jen.Code { return jen.Add(a).Op("/").Add(b) },
	runtime.EwNeg:   func(_ runtime.EwStep, a, _ jen.Code) jen.Code { return jen.Op("-").Add(a) },
	runtime.EwAbs:   viaF64(func(x jen.Code) jen.Code { return jen.Qual("math", "Abs").Call(x) }),
	runtime.EwExp:   ewBlockOp,
	runtime.EwLog:   viaF64(func(x jen.Code) jen.Code { return jen.Qual("math", "Log").Call(x) }),
	runtime.EwSqrt:  viaF64(func(x jen.Code) jen.Code { return jen.Qual("math", "Sqrt").Call(x) }),
	runtime.EwReciprocal: func(_ runtime.EwStep, a, _ jen.Code) jen.Code {
		return jen.Lit(1).Op("/").Add(a)
	},
	runtime.EwRelu:    func(_ runtime.EwStep, a, _ jen.Code) jen.Code { return jen.Qual(rtPath, "EwReluOf").Call(a) },
	runtime.EwSigmoid: ewBlockOp, runtime.EwTanh: ewBlockOp, runtime.EwErf: ewBlockOp,
	runtime.EwHardSigmoid: func(s runtime.EwStep, a, _ jen.Code) jen.Code {
		return jen.Float32().Call(jen.Qual(rtPath, "EwHardSigmoidOf").Call(jen.Float64().Call(a), f64Lit(s.Alpha), f64Lit(s.Beta)))
	},
	runtime.EwHardSwish: func(_ runtime.EwStep, a, _ jen.Code) jen.Code {
		x := jen.Float64().Call(a)
		return jen.Float32().Call(jen.Add(x).Op("*").Qual(rtPath, "EwHardSigmoidOf").Call(x, jen.Lit(1.0).Op("/").Lit(6), jen.Lit(0.5)))
	},
	runtime.EwLeakyRelu: func(s runtime.EwStep, a, _ jen.Code) jen.Code {
		return jen.Qual(rtPath, "EwLeakyReluOf").Call(a, f64Lit(s.Alpha))
	},
	runtime.EwSoftplus: viaF64(func(x jen.Code) jen.Code { return jen.Qual(rtPath, "EwSoftplusOf").Call(x) }),
}

// ewVec names the vectorized runtime function of the ops that run a block at a time.
var ewVec = [runtime.EwOpCount]string{runtime.EwExp: "VecExp", runtime.EwSigmoid: "VecSigmoid", runtime.EwTanh: "VecTanh", runtime.EwErf: "VecErf"}

// ewBlockOp stands in ewSpell for the ops of ewVec, which are never spelled per element.
func ewBlockOp(runtime.EwStep, jen.Code, jen.Code) jen.Code {
	panic("gogen: block op spelled per element")
}

// ewBlock is how many elements a blocked loop computes per vectorized call.
const ewBlock = 128

// ewCost is a rough count of operations per element for the parallel-for threshold.
var ewCost = [runtime.EwOpCount]int{runtime.EwExp: 20, runtime.EwLog: 20, runtime.EwSigmoid: 20, runtime.EwTanh: 20, runtime.EwErf: 20, runtime.EwSoftplus: 30}

// viaF64 spells a step computed in float64 and rounded to float32.
func viaF64(f func(x jen.Code) jen.Code) func(s runtime.EwStep, a, b jen.Code) jen.Code {
	return func(_ runtime.EwStep, a, _ jen.Code) jen.Code {
		return jen.Float32().Call(f(jen.Float64().Call(a)))
	}
}

func f64Lit(v float64) jen.Code {
	switch {
	case math.IsNaN(v):
		return jen.Qual("math", "NaN").Call()
	case math.IsInf(v, 1):
		return jen.Qual("math", "Inf").Call(jen.Lit(1))
	case math.IsInf(v, -1):
		return jen.Qual("math", "Inf").Call(jen.Lit(-1))
	}
	return jen.Op(strconv.FormatFloat(v, 'g', -1, 64))
}

func f32Lit(v float64) jen.Code { return jen.Float32().Call(f64Lit(v)) }

// ewFuncs emits, for every fused program, a job type whose Run is the loop and a function
// ewNRun(x, out, in) with the kernel calling convention that binds the operands and runs it.
// A program with per-channel inputs loops over rows (the output's elements after its channel
// axis), loading each per-channel value once per row.
func (gen *generator) ewFuncs(f *jen.File) error {
	for i, n := range gen.nodes {
		k := gen.kernel(n)
		if k.Entry != lowered.Elementwise {
			continue
		}
		if err := gen.ewFunc(f, i, n, k.Params.(*runtime.ElementwiseParams)); err != nil {
			return err
		}
	}
	return nil
}

// ewInput is how the loop reads one input.
type ewInput int

const (
	ewFull     ewInput = iota // one value per output element
	ewScalarIn                // one value
	ewPerChan                 // one value per index of the channel axis
	ewChanRow                 // one value per index of the channel axis, the output's last
)

func (gen *generator) ewFunc(f *jen.File, i int, n *ir.Node, p *runtime.ElementwiseParams) error {
	out := n.Outputs[0].Type
	kind := make([]ewInput, len(n.Inputs))
	for j, v := range n.Inputs {
		switch {
		case p.Channel != nil && p.Channel[j]:
			kind[j] = ewPerChan
		case !ir.SameShape(v.Type, out):
			kind[j] = ewScalarIn
		}
	}
	rows := p.Channel != nil
	chans := 0
	if rows {
		if p.Axis >= len(out.Shape) || !out.Shape[p.Axis].IsStatic() {
			return fmt.Errorf("%s: channel axis %d of %s is not static", n.Describe(), p.Axis, out)
		}
		chans = int(out.Shape[p.Axis].N)
	}
	// With the channel axis last (a bias over features), a row is the chans elements of one
	// position and a per-channel input is read along it like a full one, so that the loop
	// keeps going over whole rows.
	lastAxis := rows && out.RankKnown && p.Axis == len(out.Shape)-1
	if lastAxis {
		for j := range kind {
			if kind[j] == ewPerChan {
				kind[j] = ewChanRow
			}
		}
	}
	field := func(j int) string { return [...]string{"i", "s", "c", "c"}[kind[j]] + fmt.Sprint(j) }
	name := fmt.Sprintf("ew%d", i)
	fields := []jen.Code{jen.Id("d").Index().Float32()}
	if rows {
		fields = append(fields, jen.Id("inner").Int())
	}
	for j := range n.Inputs {
		if kind[j] == ewScalarIn {
			fields = append(fields, jen.Id(field(j)).Float32())
		} else {
			fields = append(fields, jen.Id(field(j)).Index().Float32())
		}
	}
	cost := 1
	for _, s := range p.Steps {
		if s.Op >= runtime.EwOpCount || ewSpell[s.Op] == nil {
			return fmt.Errorf("%s: elementwise op %d has no Go spelling", n.Describe(), s.Op)
		}
		cost += max(ewCost[s.Op], 1)
	}
	// body emits the element loop over d, reading full inputs from locals of the same names
	// and per-channel values from locals cN.
	load := func(j int, at jen.Code) jen.Code {
		switch kind[j] {
		case ewScalarIn:
			return jen.Id("j").Dot(field(j))
		case ewPerChan:
			return jen.Id(field(j))
		}
		return jen.Id(field(j)).Index(at) // ewFull, ewChanRow
	}
	body := func(b *jen.Group) {
		b.For(jen.Id("k").Op(":=").Range().Id("d")).BlockFunc(func(l *jen.Group) {
			for j := range n.Inputs {
				l.Id(fmt.Sprintf("v%d", j)).Op(":=").Add(load(j, jen.Id("k")))
			}
			for s, st := range p.Steps {
				ref := func(r int) jen.Code { return jen.Id(fmt.Sprintf("v%d", r)) }
				l.Id(fmt.Sprintf("v%d", len(n.Inputs)+s)).Op(":=").Add(ewSpell[st.Op](st, ref(st.A), ref(st.B)))
			}
			l.Id("d").Index(jen.Id("k")).Op("=").Id(fmt.Sprintf("v%d", len(n.Inputs)+len(p.Steps)-1))
		})
	}
	blocked := ewBlocked(kind, field, p.Steps)
	if blocked != nil {
		body = func(b *jen.Group) { blocked.emit(b, load) }
	}
	// Re-slicing full inputs to len(d) lets the compiler drop the bounds checks in the loop.
	slices := func(b *jen.Group, lo, hi jen.Code) {
		b.Id("d").Op(":=").Id("j").Dot("d").Index(lo, hi)
		for j := range n.Inputs {
			if kind[j] == ewFull {
				b.Id(field(j)).Op(":=").Id("j").Dot(field(j)).Index(lo, hi).Index(jen.Empty(), jen.Len(jen.Id("d")))
			}
		}
	}
	f.Comment(fmt.Sprintf("%s is the fused elementwise loop of %s.", name, n.Describe()))
	f.Type().Id(name).Struct(fields...)
	f.Func().Params(jen.Id("j").Id(name)).Id("Run").Params(jen.List(jen.Id("lo"), jen.Id("hi")).Int()).BlockFunc(func(b *jen.Group) {
		if blocked != nil && len(blocked.arrays) > 0 {
			var arrs []jen.Code
			for _, v := range blocked.arrays {
				arrs = append(arrs, jen.Id(fmt.Sprintf("a%d", v)))
			}
			b.Var().List(arrs...).Index(jen.Lit(ewBlock)).Float32()
		}
		if !rows {
			slices(b, jen.Id("lo"), jen.Id("hi"))
			body(b)
			return
		}
		b.For(jen.Id("r").Op(":=").Id("lo"), jen.Id("r").Op("<").Id("hi"), jen.Id("r").Op("++")).BlockFunc(func(rb *jen.Group) {
			rb.Id("base").Op(":=").Id("r").Op("*").Id("j").Dot("inner")
			slices(rb, jen.Id("base"), jen.Id("base").Op("+").Id("j").Dot("inner"))
			for j := range n.Inputs {
				switch kind[j] {
				case ewPerChan:
					rb.Id(field(j)).Op(":=").Id("j").Dot(field(j)).Index(jen.Id("r").Op("%").Lit(chans))
				case ewChanRow:
					rb.Id(field(j)).Op(":=").Id("j").Dot(field(j)).Index(jen.Empty(), jen.Len(jen.Id("d")))
				}
			}
			body(rb)
		})
	})
	f.Func().Id(name+"Run").Params(jen.Id("x").Op("*").Qual(rtPath, "Exec"), jen.List(jen.Id("out"), jen.Id("in")).Index().Op("*").Qual(rtPath, "Tensor")).Error().BlockFunc(func(b *jen.Group) {
		shape := jen.Id("in").Index(jen.Lit(p.ShapeFrom)).Dot("Shape")
		b.Id("n").Op(":=").Id("in").Index(jen.Lit(p.ShapeFrom)).Dot("Len").Call()
		for j := range n.Inputs {
			want := [...]jen.Code{jen.Id("n"), jen.Lit(1), jen.Lit(chans), jen.Lit(chans)}[kind[j]]
			b.If(jen.Id("in").Index(jen.Lit(j)).Dot("DType").Op("!=").Qual(rtPath, "Float32").Op("||").Id("in").Index(jen.Lit(j)).Dot("Len").Call().Op("!=").Add(want)).Block(
				jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit(fmt.Sprintf("input %d is %%s with %%d elements, want float32 with %%d", j)),
					jen.Id("in").Index(jen.Lit(j)).Dot("DType"), jen.Id("in").Index(jen.Lit(j)).Dot("Len").Call(), want)))
		}
		if lastAxis {
			b.If(jen.Len(shape.Clone()).Op("!=").Lit(p.Axis + 1).Op("||").Add(shape.Clone()).Index(jen.Lit(p.Axis)).Op("!=").Lit(chans)).Block(
				jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit(fmt.Sprintf("output shape %%v does not end in dim %d of %d", p.Axis, chans)), shape.Clone())))
			b.Id("inner").Op(":=").Lit(chans)
		} else if rows {
			b.If(jen.Len(shape.Clone()).Op("<=").Lit(p.Axis).Op("||").Add(shape.Clone()).Index(jen.Lit(p.Axis)).Op("!=").Lit(chans)).Block(
				jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit(fmt.Sprintf("output shape %%v has no dim %d of %d", p.Axis, chans)), shape.Clone())))
			b.Id("inner").Op(":=").Lit(1)
			b.For(jen.List(jen.Id("_"), jen.Id("e")).Op(":=").Range().Add(shape.Clone()).Index(jen.Lit(p.Axis+1), jen.Empty())).Block(jen.Id("inner").Op("*=").Id("e"))
		}
		b.Id("out").Index(jen.Lit(0)).Dot("Resize").Call(jen.Qual(rtPath, "Float32"), shape.Clone().Op("..."))
		b.Id("j").Op(":=").Id(name).Values(jen.DictFunc(func(d jen.Dict) {
			d[jen.Id("d")] = jen.Qual(rtPath, "Data").Index(jen.Float32()).Call(jen.Id("out").Index(jen.Lit(0)))
			if rows {
				d[jen.Id("inner")] = jen.Id("inner")
			}
			for j := range n.Inputs {
				data := jen.Qual(rtPath, "Data").Index(jen.Float32()).Call(jen.Id("in").Index(jen.Lit(j)))
				if kind[j] == ewScalarIn {
					data = data.Index(jen.Lit(0))
				}
				d[jen.Id(field(j))] = data
			}
		}))
		if rows {
			b.If(jen.Id("inner").Op("==").Lit(0)).Block(jen.Return(jen.Nil()))
			b.Qual(rtPath, "ParallelRange").Call(jen.Id("x"), jen.Id("n").Op("/").Id("inner"), jen.Lit(cost).Op("*").Id("inner"), jen.Id("j"))
		} else {
			b.Qual(rtPath, "ParallelRange").Call(jen.Id("x"), jen.Id("n"), jen.Lit(cost), jen.Id("j"))
		}
		b.Return(jen.Nil())
	})
	return nil
}
