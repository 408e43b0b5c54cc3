package ptx

import "fmt"

// Env gives the variables' values when an expression is evaluated in Go.
type Env map[string]int64

// Expr is a 32-bit signed index expression over variables (thread and block indices, loop
// counters). Emit writes it as PTX and returns the register or immediate holding it; Eval
// computes the same value in Go. Div and Rem take non-negative operands (they are emitted as
// unsigned operations, which are cheaper); Eval panics otherwise, so tests catch a misuse.
type Expr interface {
	Eval(env Env) int64
	Emit(f *Func) string
}

type cst int64

func (c cst) Eval(Env) int64      { return int64(c) }
func (c cst) Emit(f *Func) string { return fmt.Sprint(int64(c)) }

// C is the constant v.
func C(v int) Expr { return cst(v) }

type variable string

func (v variable) Eval(env Env) int64 {
	x, ok := env[string(v)]
	if !ok {
		panic("ptx: unbound variable " + string(v))
	}
	return x
}

func (v variable) Emit(f *Func) string {
	r, ok := f.binds[string(v)]
	if !ok {
		panic("ptx: unbound variable " + string(v))
	}
	return r
}

// V is the variable name, bound with Func.Bind or Env.
func V(name string) Expr { return variable(name) }

type binop struct {
	op   byte
	a, b Expr
}

var binInstr = map[byte]string{'+': "add.s32", '-': "sub.s32", '*': "mul.lo.s32", '/': "div.u32", '%': "rem.u32", 'm': "min.s32", 'M': "max.s32"}

func apply(op byte, x, y int64) int64 {
	if (op == '/' || op == '%') && (x < 0 || y <= 0) {
		panic(fmt.Sprintf("ptx: %d %c %d on a negative operand", x, op, y))
	}
	switch op {
	case '+':
		return x + y
	case '-':
		return x - y
	case '*':
		return x * y
	case '/':
		return x / y
	case '%':
		return x % y
	case 'm':
		return min(x, y)
	}
	return max(x, y)
}

func (e binop) Eval(env Env) int64 { return apply(e.op, e.a.Eval(env), e.b.Eval(env)) }

func (e binop) Emit(f *Func) string {
	if r, ok := f.memo[e]; ok {
		return r
	}
	// The first operand of most instructions must be a register.
	a, b := f.R(e.a), e.b.Emit(f)
	r := f.Reg(B32)
	f.Op("%s %s, %s, %s", binInstr[e.op], r, a, b)
	f.memo[e] = r
	return r
}

func mk(op byte, a, b Expr) Expr {
	ca, aok := a.(cst)
	cb, bok := b.(cst)
	switch {
	case aok && bok:
		return cst(apply(op, int64(ca), int64(cb)))
	case op == '+' && aok && ca == 0:
		return b
	case (op == '+' || op == '-') && bok && cb == 0:
		return a
	case op == '*' && ((aok && ca == 0) || (bok && cb == 0)):
		return cst(0)
	case op == '*' && aok && ca == 1:
		return b
	case (op == '*' || op == '/') && bok && cb == 1:
		return a
	case op == '%' && bok && cb == 1:
		return cst(0)
	}
	return binop{op, a, b}
}

// Add is a+b; Sub a-b; Mul a*b; Div a/b and Rem a%b (non-negative operands); Min and Max.
func Add(a, b Expr) Expr { return mk('+', a, b) }
func Sub(a, b Expr) Expr { return mk('-', a, b) }
func Mul(a, b Expr) Expr { return mk('*', a, b) }
func Div(a, b Expr) Expr { return mk('/', a, b) }
func Rem(a, b Expr) Expr { return mk('%', a, b) }
func Min(a, b Expr) Expr { return mk('m', a, b) }
func Max(a, b Expr) Expr { return mk('M', a, b) }

// Sum adds terms.
func Sum(terms ...Expr) Expr {
	s := C(0)
	for _, t := range terms {
		s = Add(s, t)
	}
	return s
}

// Cond is a condition over index expressions: Emit returns a predicate register, Holds
// evaluates it in Go.
type Cond interface {
	Holds(env Env) bool
	Emit(f *Func) string
}

type cmp struct {
	lt   bool // a < b; else a >= b
	a, b Expr
}

func (c cmp) Holds(env Env) bool {
	x, y := c.a.Eval(env), c.b.Eval(env)
	return (x < y) == c.lt
}

func (c cmp) Emit(f *Func) string {
	a, b := f.R(c.a), c.b.Emit(f)
	p, op := f.Reg(Pred), "ge"
	if c.lt {
		op = "lt"
	}
	f.Op("setp.%s.s32 %s, %s, %s", op, p, a, b)
	return p
}

// Lt is a < b; Ge a >= b.
func Lt(a, b Expr) Cond { return cmp{true, a, b} }
func Ge(a, b Expr) Cond { return cmp{false, a, b} }

type and []Cond

func (c and) Holds(env Env) bool {
	for _, x := range c {
		if !x.Holds(env) {
			return false
		}
	}
	return true
}

func (c and) Emit(f *Func) string {
	p := c[0].Emit(f)
	for _, x := range c[1:] {
		q, r := x.Emit(f), f.Reg(Pred)
		f.Op("and.pred %s, %s, %s", r, p, q)
		p = r
	}
	return p
}

// And holds when every non-nil condition holds; nil when there are none.
func And(cs ...Cond) Cond {
	var a and
	for _, c := range cs {
		switch c := c.(type) {
		case nil:
		case and:
			a = append(a, c...)
		default:
			a = append(a, c)
		}
	}
	if len(a) == 0 {
		return nil
	}
	if len(a) == 1 {
		return a[0]
	}
	return a
}

// Holds evaluates c, nil holding always.
func Holds(c Cond, env Env) bool { return c == nil || c.Holds(env) }

// Within is 0 <= x < n.
func Within(x Expr, n int) Cond { return And(Ge(x, C(0)), Lt(x, C(n))) }
