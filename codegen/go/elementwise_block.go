package gogen

import (
	"fmt"
	"slices"

	"github.com/dave/jennifer/jen"

	"github.com/onnxc/onnxc/runtime"
)

// ewBlockPlan is a fused program with vectorized steps (ewVec) cut into segments at them: per
// block of ewBlock elements, segment s runs the scalar steps between vectorized steps s-1 and
// s as a loop over the block, then vectorized step s runs on the whole block. A value that a
// later segment or a vectorized step reads lives in a block array; inputs and constants are
// read again where they are used, and a vectorized step reads a full input in place.
type ewBlockPlan struct {
	nIn   int
	steps []runtime.EwStep
	kind  []ewInput
	field func(j int) string // the local holding input j in the loop
	// seg is, per value (inputs, then steps), the segment that computes it: -1 for inputs and
	// constants, which every segment reads itself; a vectorized step's result is in its array
	// from segment seg on.
	seg []int
	// store lists, per segment, the values it writes to their arrays.
	store [][]int
	// arrays are the values kept in block arrays, ascending.
	arrays []int
	segs   int
}

// ewBlocked plans a program over nIn inputs of the given kinds in blocks, or returns nil when
// it has no vectorized step.
func ewBlocked(kind []ewInput, field func(int) string, steps []runtime.EwStep) *ewBlockPlan {
	if !slices.ContainsFunc(steps, func(s runtime.EwStep) bool { return ewVec[s.Op] != "" }) {
		return nil
	}
	nIn := len(kind)
	p := &ewBlockPlan{nIn: nIn, steps: steps, kind: kind, field: field, seg: make([]int, nIn+len(steps)), store: [][]int{nil}}
	inArr := make([]bool, len(p.seg))
	keep := func(v, seg int) {
		if !inArr[v] {
			inArr[v] = true
			p.arrays = append(p.arrays, v)
		}
		if !slices.Contains(p.store[seg], v) {
			p.store[seg] = append(p.store[seg], v)
		}
	}
	for v := range nIn {
		p.seg[v] = -1
	}
	cur := 0
	for s, st := range steps {
		v := nIn + s
		switch {
		case ewVec[st.Op] != "":
			a := st.A
			switch {
			case a < nIn && ewAlong(kind[a]), a >= nIn && ewVec[steps[a-nIn].Op] != "":
				// read in place, or already in its array
			case p.seg[a] < 0:
				keep(a, cur) // a scalar, per-channel or constant operand, spread over the block
			default:
				keep(a, p.seg[a])
			}
			cur++
			p.store = append(p.store, nil)
			p.seg[v] = cur
			if s < len(steps)-1 {
				inArr[v] = true
				p.arrays = append(p.arrays, v)
			}
		case st.Op == runtime.EwConst:
			p.seg[v] = -1
		default:
			p.seg[v] = cur
			for i, r := range []int{st.A, st.B} {
				if i < runtime.EwArity[st.Op] && p.seg[r] >= 0 && p.seg[r] < cur && !inArr[r] {
					keep(r, p.seg[r])
				}
			}
		}
	}
	p.segs = cur + 1
	slices.Sort(p.arrays)
	return p
}

// emit writes the blocked loop over d. load reads input j where it is not a full input.
func (p *ewBlockPlan) emit(b *jen.Group, load func(j int, at jen.Code) jen.Code) {
	nv := p.nIn + len(p.steps)
	last := nv - 1
	lastVec := ewVec[p.steps[len(p.steps)-1].Op] != ""
	id := func(prefix string, v int) *jen.Statement { return jen.Id(fmt.Sprintf("%s%d", prefix, v)) }
	b.For(jen.Id("b0").Op(":=").Lit(0), jen.Id("b0").Op("<").Len(jen.Id("d")), jen.Id("b0").Op("+=").Lit(ewBlock)).BlockFunc(func(g *jen.Group) {
		g.Id("db").Op(":=").Id("d").Index(jen.Id("b0"), jen.Min(jen.Id("b0").Op("+").Lit(ewBlock), jen.Len(jen.Id("d"))))
		for j, k := range p.kind {
			if ewAlong(k) {
				g.Add(id("f", j)).Op(":=").Id(p.field(j)).Index(jen.Id("b0"), jen.Empty()).Index(jen.Empty(), jen.Len(jen.Id("db")))
			}
		}
		for _, v := range p.arrays {
			g.Add(id("t", v)).Op(":=").Add(id("a", v)).Index(jen.Empty(), jen.Len(jen.Id("db")))
		}
		for s := 0; s < p.segs; s++ {
			var own []int
			for v := p.nIn; v < nv; v++ {
				if p.seg[v] == s && ewVec[p.steps[v-p.nIn].Op] == "" {
					own = append(own, v)
				}
			}
			final := s == p.segs-1 && !lastVec
			if len(own) > 0 || len(p.store[s]) > 0 || final {
				g.For(jen.Id("k").Op(":=").Range().Id("db")).BlockFunc(func(l *jen.Group) {
					defined := map[int]bool{}
					var ref func(r int) jen.Code
					ref = func(r int) jen.Code {
						if !defined[r] {
							defined[r] = true
							var val jen.Code
							switch {
							case r < p.nIn && ewAlong(p.kind[r]):
								val = id("f", r).Index(jen.Id("k"))
							case r < p.nIn:
								val = load(r, nil)
							case p.steps[r-p.nIn].Op == runtime.EwConst:
								val = ewSpell[runtime.EwConst](p.steps[r-p.nIn], nil, nil)
							case p.seg[r] == s && ewVec[p.steps[r-p.nIn].Op] == "":
								st := p.steps[r-p.nIn]
								var b jen.Code
								if runtime.EwArity[st.Op] == 2 {
									b = ref(st.B)
								}
								val = ewSpell[st.Op](st, ref(st.A), b)
							default:
								val = id("t", r).Index(jen.Id("k"))
							}
							l.Add(id("v", r)).Op(":=").Add(val)
						}
						return id("v", r)
					}
					for _, v := range own {
						ref(v)
					}
					for _, v := range p.store[s] {
						l.Add(id("t", v)).Index(jen.Id("k")).Op("=").Add(ref(v))
					}
					if final {
						l.Id("db").Index(jen.Id("k")).Op("=").Add(ref(last))
					}
				})
			}
			if s == p.segs-1 {
				break
			}
			// The vectorized step at the end of segment s: the (s+1)-th one.
			v := p.nIn
			for n := 0; ; v++ {
				if ewVec[p.steps[v-p.nIn].Op] != "" {
					if n == s {
						break
					}
					n++
				}
			}
			st := p.steps[v-p.nIn]
			var dst, src jen.Code = id("t", v), id("t", st.A)
			if v == last {
				dst = jen.Id("db")
			}
			if st.A < p.nIn && ewAlong(p.kind[st.A]) {
				src = id("f", st.A)
			}
			g.Qual(rtPath, ewVec[st.Op]).Call(dst, src)
		}
	})
}

// ewAlong reports whether inputs of kind k are read along the loop, one value per element.
func ewAlong(k ewInput) bool { return k == ewFull || k == ewChanRow }
