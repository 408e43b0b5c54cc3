// Package ptx writes PTX text: entry functions with typed virtual registers, and index
// expressions (Expr, Cond) that the generators both emit as PTX and evaluate in Go, so that a
// CPU test can run a kernel's index math against the reference kernels.
package ptx

import (
	"fmt"
	"math"
	"strings"
)

// Version is the PTX ISA the modules declare: 7.8, what CUDA 11.8's ptxas reads.
const Version = "7.8"

// Kind is a register kind.
type Kind uint8

// Register kinds: predicates, 32-bit and 64-bit integers, float32.
const (
	Pred Kind = iota
	B32
	B64
	F32
	numKinds
)

var regPrefix = [numKinds]string{"%p", "%r", "%rd", "%f"}
var regType = [numKinds]string{".pred", ".b32", ".b64", ".f32"}

// Func is one .entry being written.
type Func struct {
	name   string
	params []string
	decls  []string
	body   strings.Builder
	n      [numKinds]int
	labels int
	// tail are labels placed just before the final ret.
	tail []string
	// memo holds the registers of expressions already emitted in the current basic block:
	// cleared at every label and branch, so a register is reused only where its definition
	// ran on every path (the loop counters, changed in place, change just before a branch).
	memo map[Expr]string
	// binds maps variable names (V) to the registers that hold them.
	binds map[string]string
}

// NewFunc starts the entry function name.
func NewFunc(name string) *Func {
	return &Func{name: name, binds: map[string]string{}, memo: map[Expr]string{}}
}

// Name is the entry's name.
func (f *Func) Name() string { return f.name }

// Reg allocates a register of kind k.
func (f *Func) Reg(k Kind) string {
	f.n[k]++
	return fmt.Sprintf("%s%d", regPrefix[k], f.n[k])
}

// Op writes one instruction (without the semicolon).
func (f *Func) Op(format string, a ...any) {
	f.body.WriteString("\t")
	fmt.Fprintf(&f.body, format, a...)
	f.body.WriteString(";\n")
	if strings.Contains(format, "bra ") {
		clear(f.memo)
	}
}

// Label returns a fresh label; Place puts it at the current position.
func (f *Func) Label() string {
	f.labels++
	return fmt.Sprintf("L%d", f.labels)
}

// Place puts label l here.
func (f *Func) Place(l string) {
	fmt.Fprintf(&f.body, "%s:\n", l)
	clear(f.memo)
}

// Shared declares a static shared-memory array of n bytes and returns its name.
func (f *Func) Shared(name string, bytes int) string {
	f.decls = append(f.decls, fmt.Sprintf("\t.shared .align 16 .b8 %s[%d];", name, bytes))
	return name
}

// Bind makes variable name (V(name)) stand for register reg.
func (f *Func) Bind(name, reg string) {
	f.binds[name] = reg
	clear(f.memo)
}

// Special binds variable name to a fresh register holding the special register sreg (%tid.x).
func (f *Func) Special(name, sreg string) {
	r := f.Reg(B32)
	f.Op("mov.u32 %s, %s", r, sreg)
	f.Bind(name, r)
}

// PtrParam declares a pointer parameter and returns a register with its global address.
func (f *Func) PtrParam() string {
	p := fmt.Sprintf("%s_p%d", f.name, len(f.params))
	f.params = append(f.params, ".param .u64 "+p)
	r, g := f.Reg(B64), f.Reg(B64)
	f.Op("ld.param.u64 %s, [%s]", r, p)
	f.Op("cvta.to.global.u64 %s, %s", g, r)
	return g
}

// Addr returns a register with base + off*size (off a 32-bit element index).
func (f *Func) Addr(base string, off Expr, size int) string {
	if c, ok := off.(cst); ok {
		r := f.Reg(B64)
		f.Op("add.s64 %s, %s, %d", r, base, int64(c)*int64(size))
		return r
	}
	w, r := f.Reg(B64), f.Reg(B64)
	f.Op("mul.wide.s32 %s, %s, %d", w, off.Emit(f), size)
	f.Op("add.s64 %s, %s, %s", r, base, w)
	return r
}

// LoadF32 returns a register holding the float32 at base[off] where ok holds, else 0.
func (f *Func) LoadF32(base string, off Expr, ok Cond) string {
	v := f.Reg(F32)
	a := f.Addr(base, off, 4)
	if ok == nil {
		f.Op("ld.global.f32 %s, [%s]", v, a)
		return v
	}
	f.Op("mov.f32 %s, 0f00000000", v)
	f.Op("@%s ld.global.f32 %s, [%s]", ok.Emit(f), v, a)
	return v
}

// Float is the PTX literal of v.
func Float(v float32) string { return fmt.Sprintf("0f%08X", math.Float32bits(v)) }

// Text is the function's PTX.
func (f *Func) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, ".visible .entry %s(\n\t%s\n)\n{\n", f.name, strings.Join(f.params, ",\n\t"))
	for k := Kind(0); k < numKinds; k++ {
		if f.n[k] > 0 {
			fmt.Fprintf(&b, "\t.reg %s %s<%d>;\n", regType[k], regPrefix[k], f.n[k]+1)
		}
	}
	for _, d := range f.decls {
		b.WriteString(d + "\n")
	}
	b.WriteString(f.body.String())
	for _, l := range f.tail {
		fmt.Fprintf(&b, "%s:\n", l)
	}
	b.WriteString("\tret;\n}\n")
	return b.String()
}

// Module is a complete PTX module for compute capability sm holding the functions fs.
func Module(sm int, fs ...*Func) string {
	var b strings.Builder
	fmt.Fprintf(&b, ".version %s\n.target sm_%d\n.address_size 64\n\n", Version, sm)
	for _, f := range fs {
		b.WriteString(f.Text())
		b.WriteString("\n")
	}
	return b.String()
}

// SharedAddr returns a 32-bit register with the shared address of element off (size bytes
// each) of the shared array sym.
func (f *Func) SharedAddr(sym string, off Expr, size int) string {
	b, r := f.Reg(B32), f.Reg(B32)
	f.Op("mov.u32 %s, %s", b, sym)
	f.Op("mad.lo.s32 %s, %s, %d, %s", r, f.R(off), size, b)
	return r
}

// Threads binds "tid", "bx", "by" and "bz" to the thread's index in its block and the block's
// index in the grid.
func (f *Func) Threads() {
	f.Special("tid", "%tid.x")
	f.Special("bx", "%ctaid.x")
	f.Special("by", "%ctaid.y")
	f.Special("bz", "%ctaid.z")
}

// R returns a register holding e (an immediate is moved into one).
func (f *Func) R(e Expr) string {
	v := e.Emit(f)
	if _, ok := e.(cst); ok {
		r := f.Reg(B32)
		f.Op("mov.s32 %s, %s", r, v)
		return r
	}
	return v
}

// Deferred places label l at the end of the function, before its ret.
func (f *Func) Deferred(l string) { f.tail = append(f.tail, l) }
