package runtime

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// RecurrentParams configures the RNN, GRU and LSTM kernels (ONNX opset 22 semantics).
type RecurrentParams struct {
	Hidden int // hidden_size; 0: taken from R's last dim
	// Direction is 0 forward, 1 reverse, 2 bidirectional.
	Direction int
	// Layout 0 has X [S, B, I] and Y [S, dirs, B, H]; layout 1 has X [B, S, I], Y [B, S, dirs, H]
	// and the states [B, dirs, H].
	Layout int
	// Activations are the activation names, lower case, for every direction (f for RNN; f, g
	// for GRU; f, g, h for LSTM), with their alpha and beta (defaults resolved).
	Activations  []string
	Alphas       []float32
	Betas        []float32
	Clip         float32 // when > 0, gate pre-activations are clipped to [-Clip, Clip]
	LinearBefore bool    // GRU linear_before_reset
	InputForget  bool    // LSTM input_forget: the forget gate is 1 - the input gate
	// PackedW and PackedR say that W (R) is a float32 constant whose prepacked form, each
	// direction's transpose packed as PackGemmB, follows the node's inputs (W's before R's),
	// so that the products by it read the panels in place instead of packing them every call;
	// the original's data is then not read (a compiled model stores only its shape). GRU
	// without linear_before_reset reads R's candidate rows as they are, so its R is never
	// packed.
	PackedW, PackedR bool
	// QuantW and QuantR say that W (R) is int8, dynamically quantized (onnxc.DynQuantLSTM and
	// its kin): its prepacked form is each direction's transpose packed as PackQGemmB, and its
	// scales (one per direction, or one per direction and gate row) are the input before the
	// packed forms (W's before R's). X (and the hidden state, for R) is then quantized per run
	// as DynamicQuantizeLinear does, and the products run on the u8 x s8 kernels.
	QuantW, QuantR bool
}

// Recurrent directions (RecurrentParams.Direction).
const (
	RNNForward = iota
	RNNReverse
	RNNBidirectional
)

// RNNActivationArity is how many of alpha and beta each recurrent activation takes (lower-case
// names), and their defaults; the ops package resolves the attribute lists with it.
var RNNActivationArity = map[string]struct {
	N           int
	Alpha, Beta float32
}{
	"relu": {}, "tanh": {}, "sigmoid": {}, "softsign": {}, "softplus": {},
	"affine":          {2, 1, 0},
	"leakyrelu":       {1, 0.01, 0},
	"thresholdedrelu": {1, 1, 0},
	"scaledtanh":      {2, 1, 1},
	"hardsigmoid":     {2, 0.2, 0.5},
	"elu":             {1, 1, 0},
}

const (
	rnCellRNN = iota
	rnCellGRU
	rnCellLSTM
)

// RNN is ONNX RNN: Ht = f(Xt*Wᵀ + Ht-1*Rᵀ + Wb + Rb). Inputs X, W, R, B, sequence_lens,
// initial_h; outputs Y, Y_h.
func RNN(x *Exec, p *RecurrentParams, out, in []*Tensor) error {
	return rnDispatch(x, p, rnCellRNN, out, in)
}

// GRU is ONNX GRU (gates z, r, h). Inputs X, W, R, B, sequence_lens, initial_h; outputs Y, Y_h.
func GRU(x *Exec, p *RecurrentParams, out, in []*Tensor) error {
	return rnDispatch(x, p, rnCellGRU, out, in)
}

// LSTM is ONNX LSTM (gates i, o, f, c). Inputs X, W, R, B, sequence_lens, initial_h,
// initial_c, P (peepholes); outputs Y, Y_h, Y_c.
func LSTM(x *Exec, p *RecurrentParams, out, in []*Tensor) error {
	return rnDispatch(x, p, rnCellLSTM, out, in)
}

func rnDispatch(x *Exec, p *RecurrentParams, cell int, out, in []*Tensor) error {
	switch in[0].DType {
	case Float64:
		return rnRun[float64](x, p, cell, out, in)
	case Float32, Float16, BFloat16:
		return rnRun[float32](x, p, cell, out, in)
	}
	return fmt.Errorf("recurrent op on %s is not supported", in[0].DType)
}

// rnAct is a resolved activation.
type rnAct struct {
	kind        string
	alpha, beta float64
}

// apply replaces v by act(v), after clipping to [-clip, clip] when clip > 0.
func rnApply[T float32 | float64](a *rnAct, v []T, clip float64) {
	if clip > 0 {
		c := T(clip)
		for i, s := range v {
			v[i] = min(max(s, -c), c)
		}
	}
	al, be := a.alpha, a.beta
	if v32, ok := any(v).([]float32); ok {
		// float32 gates use vecmath.go's vector functions (within 2 ulp).
		switch a.kind {
		case "sigmoid":
			VecSigmoid(v32, v32)
			return
		case "tanh":
			VecTanh(v32, v32)
			return
		}
	}
	switch a.kind {
	case "sigmoid":
		for i, s := range v {
			v[i] = T(1 / (1 + math.Exp(-float64(s))))
		}
	case "tanh":
		for i, s := range v {
			v[i] = T(math.Tanh(float64(s)))
		}
	case "relu":
		for i, s := range v {
			v[i] = max(s, 0)
		}
	case "affine":
		for i, s := range v {
			v[i] = T(al*float64(s) + be)
		}
	case "leakyrelu":
		for i, s := range v {
			if s < 0 {
				v[i] = T(al * float64(s))
			}
		}
	case "thresholdedrelu":
		for i, s := range v {
			if float64(s) <= al {
				v[i] = 0
			}
		}
	case "scaledtanh":
		for i, s := range v {
			v[i] = T(al * math.Tanh(be*float64(s)))
		}
	case "hardsigmoid":
		for i, s := range v {
			v[i] = T(max(0, min(1, al*float64(s)+be)))
		}
	case "elu":
		for i, s := range v {
			if s < 0 {
				v[i] = T(al * (math.Exp(float64(s)) - 1))
			}
		}
	case "softsign":
		for i, s := range v {
			v[i] = T(float64(s) / (1 + math.Abs(float64(s))))
		}
	case "softplus":
		for i, s := range v {
			f := float64(s)
			if f > 30 {
				v[i] = s
			} else {
				v[i] = T(math.Log1p(math.Exp(f)))
			}
		}
	}
}

// rnMatMulT computes C = A · Bᵀ for row-major A (m x k, row stride lda), B (n x k, row stride
// ldb) and C (m x n, row stride ldc). When packed is not nil it is B's PackGemmB form (of
// Bᵀ, over B's first n rows) and b is not read.
func rnMatMulT[T float32 | float64](x *Exec, m, n, k int, a []T, lda int, b []T, ldb int, packed []float32, c []T, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if af, ok := any(a).([]float32); ok {
		if packed != nil {
			sgemmPackedB(x, false, m, n, k, 1, af, lda, packed, any(c).([]float32), ldc, false, gemmEpilogue{})
			return
		}
		sgemm(x, false, true, m, n, k, 1, af, lda, any(b).([]float32), ldb, any(c).([]float32), ldc, false)
		return
	}
	gemmGeneric(m, n, k, a, lda, 1, b, 1, ldb, c, ldc, false)
}

// rnQuant is a recurrent op's quantized W or R: each direction's transpose packed as
// PackQGemmB, and its scales (one per direction, or one per gate row of each).
type rnQuant struct {
	packed   []int8
	scale    []float32
	k, n     int
	perRow   bool
	dirBytes int
}

func rnQuantOf(packed, scale *Tensor, dirs, k, n int) (rnQuant, error) {
	q := rnQuant{k: k, n: n, dirBytes: QGemmPackedLen(k, n)}
	if packed.DType != Int8 || packed.Len() != dirs*q.dirBytes {
		return q, fmt.Errorf("recurrent op: packed int8 weights %s of %d values, want %d", packed.DType, packed.Len(), dirs*q.dirBytes)
	}
	if scale == nil || scale.DType != Float32 || (scale.Len() != dirs && scale.Len() != dirs*n) {
		return q, fmt.Errorf("recurrent op: weight scales %v, want float32 of %d or %d values", scale, dirs, dirs*n)
	}
	q.packed, q.scale, q.perRow = Data[int8](packed), Data[float32](scale), scale.Len() != dirs
	return q, nil
}

// rnQDir is direction d's quantized weights (on), or nothing when not quantized.
type rnQDir struct {
	on    bool
	b     qgPackedB
	scale []float32
}

func (q rnQuant) dir(d int) rnQDir {
	if q.packed == nil {
		return rnQDir{}
	}
	b, err := qgView(q.packed[d*q.dirBytes:(d+1)*q.dirBytes], q.k, q.n)
	if err != nil {
		panic(err) // the length was checked by rnQuantOf, the header by the compiler's packer
	}
	s := q.scale[d : d+1]
	if q.perRow {
		s = q.scale[d*q.n : (d+1)*q.n]
	}
	return rnQDir{on: true, b: b, scale: s}
}

// rnProduct is rnMatMulT, or with q on the quantized product by q's weights, all their
// columns.
func rnProduct[T float32 | float64](x *Exec, m, n, k int, a []T, lda int, b []T, ldb int, packed []float32, q rnQDir, c []T, ldc int) {
	if !q.on {
		rnMatMulT(x, m, n, k, a, lda, b, ldb, packed, c, ldc)
		return
	}
	if n != q.b.n || k != q.b.k || lda != k {
		panic("runtime: quantized recurrent product of a part of its weights")
	}
	if m == 0 {
		return
	}
	// Only float32 operands are quantized (rnRun checks X), with rows of k values.
	qgemm(x, m, any(a).([]float32)[:m*k], q.b, q.scale, nil, nil, activation{}, any(c).([]float32), ldc)
}

// rnStep is the quantized product of a one-row state by R at every step, its epilogue made
// once per direction: for one row, quantizing per row is DynamicQuantizeLinear of the state,
// and the row's scale and zero point enter the epilogue without remaking its column vectors.
type rnStep struct {
	on   bool
	j    qgJob
	rows qgRows
}

func newRNStep(x *Exec, q rnQDir, ldc int) rnStep {
	rows := newQGRows(x, 1)
	pa := ScratchOf[byte](x, qgSlotA, qgMR*q.b.kp)
	ep := qgEpilogueOf(x, q.b, rows, 1, 0, q.scale, nil, nil, activation{})
	return rnStep{on: true, j: qgJob{m: 1, a: pa, b: q.b, ldc: ldc, ep: ep}, rows: rows}
}

// run computes c = a · R for the one row a (H values).
func (s *rnStep) run(x *Exec, a, c []float32) {
	qgQuantizeEachRow(a[:s.j.b.k], 1, s.j.b.k, s.j.b.kp, s.j.a, s.rows)
	s.j.c = c
	s.j.run(x)
}

// Scratch slots of the recurrent kernels.
const (
	rnSlotX = iota
	rnSlotW
	rnSlotR
	rnSlotB
	rnSlotP
	rnSlotH0
	rnSlotC0
	rnSlotY
	rnSlotYh
	rnSlotYc
	rnSlotXW
	rnSlotHR
	rnSlotH
	rnSlotC
	rnSlotTmp
	rnSlotTmp2
)

func rnRun[T float32 | float64](x *Exec, p *RecurrentParams, cell int, out, in []*Tensor) error {
	var packW, packR, scaleW, scaleR *Tensor
	if p.PackedR {
		packR, in = in[len(in)-1], in[:len(in)-1]
	}
	if p.PackedW {
		packW, in = in[len(in)-1], in[:len(in)-1]
	}
	if (p.QuantW && !p.PackedW) || (p.QuantR && !p.PackedR) {
		return fmt.Errorf("recurrent op: quantized weights without their packed form")
	}
	if p.QuantR {
		scaleR, in = in[len(in)-1], in[:len(in)-1]
	}
	if p.QuantW {
		scaleW, in = in[len(in)-1], in[:len(in)-1]
	}
	X, W, R := in[0], in[1], in[2]
	if len(X.Shape) != 3 || len(W.Shape) != 3 || len(R.Shape) != 3 {
		return fmt.Errorf("recurrent op: X %v, W %v, R %v must be 3D", X.Shape, W.Shape, R.Shape)
	}
	if (W.DType != X.DType && !p.QuantW) || (R.DType != X.DType && !p.QuantR) {
		return fmt.Errorf("recurrent op: X, W, R types differ (%s, %s, %s)", X.DType, W.DType, R.DType)
	}
	if (p.QuantW || p.QuantR) && X.DType != Float32 {
		return fmt.Errorf("recurrent op: quantized weights with X of %s, want float32", X.DType)
	}
	S, B, I := X.Shape[0], X.Shape[1], X.Shape[2]
	if p.Layout == 1 {
		S, B = B, S
	}
	dirs := 1
	if p.Direction == RNNBidirectional {
		dirs = 2
	}
	G := [...]int{rnCellRNN: 1, rnCellGRU: 3, rnCellLSTM: 4}[cell]
	nf := [...]int{rnCellRNN: 1, rnCellGRU: 2, rnCellLSTM: 3}[cell]
	H := p.Hidden
	if H == 0 {
		H = R.Shape[2]
	}
	if W.Shape[0] != dirs || W.Shape[1] != G*H || W.Shape[2] != I {
		return fmt.Errorf("recurrent op: W %v, want [%d %d %d]", W.Shape, dirs, G*H, I)
	}
	if R.Shape[0] != dirs || R.Shape[1] != G*H || R.Shape[2] != H {
		return fmt.Errorf("recurrent op: R %v, want [%d %d %d]", R.Shape, dirs, G*H, H)
	}
	var pw, pr []float32
	var qw, qr rnQuant
	var err error
	if p.QuantW {
		if qw, err = rnQuantOf(packW, scaleW, dirs, I, G*H); err != nil {
			return err
		}
	} else if packW != nil {
		if packW.DType != Float32 || packW.Len() != PackedGemmBLen(dirs, I, G*H) {
			return fmt.Errorf("recurrent op: prepacked W has %d values, want %d", packW.Len(), PackedGemmBLen(dirs, I, G*H))
		}
		pw = Data[float32](packW)
	}
	if packR != nil && cell == rnCellGRU && !p.LinearBefore {
		return fmt.Errorf("recurrent op: GRU without linear_before_reset reads R unpacked")
	}
	if p.QuantR {
		if qr, err = rnQuantOf(packR, scaleR, dirs, H, G*H); err != nil {
			return err
		}
	} else if packR != nil {
		if packR.DType != Float32 || packR.Len() != PackedGemmBLen(dirs, H, G*H) {
			return fmt.Errorf("recurrent op: prepacked R has %d values, want %d", packR.Len(), PackedGemmBLen(dirs, H, G*H))
		}
		pr = Data[float32](packR)
	}
	if len(p.Activations) != nf*dirs || len(p.Alphas) != nf*dirs || len(p.Betas) != nf*dirs {
		return fmt.Errorf("recurrent op: %d activations for %d directions, want %d", len(p.Activations), dirs, nf*dirs)
	}
	var actBuf [6]rnAct // nf*dirs <= 3*2; on the stack, so that a warm run allocates nothing
	acts := actBuf[:nf*dirs]
	for i, name := range p.Activations {
		name = strings.ToLower(name)
		if _, ok := RNNActivationArity[name]; !ok {
			return fmt.Errorf("recurrent op: unknown activation %q", p.Activations[i])
		}
		acts[i] = rnAct{name, float64(p.Alphas[i]), float64(p.Betas[i])}
	}
	var stShape [3]int
	if p.Layout == 1 {
		stShape = [3]int{B, dirs, H}
	} else {
		stShape = [3]int{dirs, B, H}
	}
	bias, lens, h0, c0, peep := atIn(in, 3), atIn(in, 4), atIn(in, 5), atIn(in, 6), atIn(in, 7)
	if cell != rnCellLSTM {
		c0, peep = nil, nil
	}
	if bias != nil && (!slices.Equal(bias.Shape, []int{dirs, 2 * G * H}) || bias.DType != X.DType) {
		return fmt.Errorf("recurrent op: B %s%v, want [%d %d]", bias.DType, bias.Shape, dirs, 2*G*H)
	}
	if peep != nil && (!slices.Equal(peep.Shape, []int{dirs, 3 * H}) || peep.DType != X.DType) {
		return fmt.Errorf("recurrent op: P %s%v, want [%d %d]", peep.DType, peep.Shape, dirs, 3*H)
	}
	for i, st := range [2]*Tensor{h0, c0} {
		if st != nil && (!slices.Equal(st.Shape, stShape[:]) || st.DType != X.DType) {
			return fmt.Errorf("recurrent op: %s %s%v, want %s%v", [2]string{"initial_h", "initial_c"}[i], st.DType, st.Shape, X.DType, stShape)
		}
	}
	defer x.Release(x.Mark())
	seq := x.Ints(B)
	for b := range seq {
		seq[b] = S
	}
	if lens != nil {
		if lens.DType != Int32 && lens.DType != Int64 {
			return fmt.Errorf("recurrent op: sequence_lens of %s, want int32", lens.DType)
		}
		if lens.Len() != B {
			return fmt.Errorf("recurrent op: sequence_lens %v for batch %d", lens.Shape, B)
		}
		for b := range seq {
			v := rnIntAt(lens, b)
			if v < 0 || v > int64(S) {
				return fmt.Errorf("recurrent op: sequence length %d outside [0, %d]", v, S)
			}
			seq[b] = int(v)
		}
	}

	dt := X.DType
	var Yt, Yht, Yct *Tensor
	if len(out) > 0 {
		Yt = out[0]
	}
	if len(out) > 1 {
		Yht = out[1]
	}
	if len(out) > 2 && cell == rnCellLSTM {
		Yct = out[2]
	}
	yShape := [4]int{S, dirs, B, H}
	if p.Layout == 1 {
		yShape = [4]int{B, S, dirs, H}
	}
	var y, yh, yc []T
	if Yt != nil {
		y = atOut[T](x, Yt, dt, rnSlotY, S*dirs*B*H, yShape[:]...)
		clear(y) // steps past a sequence's length stay zero
	}
	if Yht != nil {
		yh = atOut[T](x, Yht, dt, rnSlotYh, dirs*B*H, stShape[:]...)
	}
	if Yct != nil {
		yc = atOut[T](x, Yct, dt, rnSlotYc, dirs*B*H, stShape[:]...)
	}

	xd := atLoad[T](x, X, rnSlotX)
	var wd, rd []T // read only where not prepacked: a prepacked original may have no data
	if pw == nil && !p.QuantW {
		wd = atLoad[T](x, W, rnSlotW)
	}
	if pr == nil && !p.QuantR {
		rd = atLoad[T](x, R, rnSlotR)
	}
	var bd, pd, h0d, c0d []T
	if bias != nil {
		bd = atLoad[T](x, bias, rnSlotB)
	}
	if peep != nil {
		pd = atLoad[T](x, peep, rnSlotP)
	}
	if h0 != nil {
		h0d = atLoad[T](x, h0, rnSlotH0)
	}
	if c0 != nil {
		c0d = atLoad[T](x, c0, rnSlotC0)
	}
	GH := G * H
	xw := ScratchOf[T](x, rnSlotXW, max(S*B*GH, 1))
	hr := ScratchOf[T](x, rnSlotHR, B*GH)
	h := ScratchOf[T](x, rnSlotH, B*H)
	c := ScratchOf[T](x, rnSlotC, B*H)
	tmp := ScratchOf[T](x, rnSlotTmp, B*H)
	tmp2 := ScratchOf[T](x, rnSlotTmp2, B*H)
	clip := float64(p.Clip)
	// row is X's (and xw's) row of step t, batch b.
	row := func(t, b int) int {
		if p.Layout == 1 {
			return b*S + t
		}
		return t*B + b
	}
	// stIdx is the offset of direction d, batch b in a state tensor.
	stIdx := func(d, b int) int {
		if p.Layout == 1 {
			return (b*dirs + d) * H
		}
		return (d*B + b) * H
	}
	yIdx := func(t, d, b int) int {
		if p.Layout == 1 {
			return ((b*S+t)*dirs + d) * H
		}
		return ((t*dirs+d)*B + b) * H
	}
	maxLen := 0
	for _, l := range seq {
		maxLen = max(maxLen, l)
	}
	for d := 0; d < dirs; d++ {
		rev := p.Direction == RNNReverse || d == 1
		// Direction d's weights, or their prepacked panels.
		var Wd, Rd []T
		var Wp, Rp []float32
		switch {
		case pw != nil:
			Wp = pw[d*PackedGemmBLen(1, I, GH) : (d+1)*PackedGemmBLen(1, I, GH)]
		case wd != nil:
			Wd = wd[d*GH*I : (d+1)*GH*I]
		}
		switch {
		case pr != nil:
			Rp = pr[d*PackedGemmBLen(1, H, GH) : (d+1)*PackedGemmBLen(1, H, GH)]
		case rd != nil:
			Rd = rd[d*GH*H : (d+1)*GH*H]
		}
		Wq, Rq := qw.dir(d), qr.dir(d)
		act := acts[d*nf : (d+1)*nf]
		// xw = X · Wdᵀ plus the biases that sit outside any gate product.
		rnProduct(x, S*B, GH, I, xd, I, Wd, I, Wp, Wq, xw, GH)
		var step rnStep
		if Rq.on && B == 1 {
			step = newRNStep(x, Rq, GH)
		}
		// hr = h · Rdᵀ, the first n columns.
		productR := func(n int) {
			if step.on {
				step.run(x, any(h).([]float32), any(hr).([]float32))
				return
			}
			rnProduct(x, B, n, H, h, H, Rd, H, Rp, Rq, hr, GH)
		}
		if bd != nil {
			wb := bd[d*2*GH : d*2*GH+GH]
			rb := bd[d*2*GH+GH : (d+1)*2*GH]
			nb := GH
			if cell == rnCellGRU && p.LinearBefore {
				nb = 2 * H // Rbh is added to Ht-1·Rhᵀ before the reset gate multiplies it
			}
			for r := 0; r < S*B; r++ {
				v := xw[r*GH : (r+1)*GH]
				for j := range v {
					v[j] += wb[j]
				}
				for j := range v[:nb] {
					v[j] += rb[j]
				}
			}
		}
		for b := 0; b < B; b++ {
			hs, cs := h[b*H:(b+1)*H], c[b*H:(b+1)*H]
			if h0d != nil {
				copy(hs, h0d[stIdx(d, b):stIdx(d, b)+H])
			} else {
				clear(hs)
			}
			if c0d != nil {
				copy(cs, c0d[stIdx(d, b):stIdx(d, b)+H])
			} else {
				clear(cs)
			}
		}
		var pi, po, pf []T
		if pd != nil {
			pi, po, pf = pd[d*3*H:d*3*H+H], pd[d*3*H+H:d*3*H+2*H], pd[d*3*H+2*H:(d+1)*3*H]
		}
		for k := 0; k < maxLen; k++ {
			// Step k of batch b is time t = k, or len-1-k going backwards.
			tOf := func(b int) int {
				if rev {
					return seq[b] - 1 - k
				}
				return k
			}
			switch cell {
			case rnCellRNN:
				productR(H)
				for b := 0; b < B; b++ {
					if k >= seq[b] {
						continue
					}
					t := tOf(b)
					g, xr := hr[b*H:(b+1)*H], xw[row(t, b)*GH:]
					for j := range g {
						g[j] += xr[j]
					}
					rnApply(&act[0], g, clip)
					copy(h[b*H:(b+1)*H], g)
				}
			case rnCellLSTM:
				productR(GH)
				for b := 0; b < B; b++ {
					if k >= seq[b] {
						continue
					}
					t := tOf(b)
					g, xr := hr[b*GH:(b+1)*GH], xw[row(t, b)*GH:(row(t, b)+1)*GH]
					for j := range g {
						g[j] += xr[j]
					}
					gi, gO, gf, gc := g[:H], g[H:2*H], g[2*H:3*H], g[3*H:]
					cs, hs := c[b*H:(b+1)*H], h[b*H:(b+1)*H]
					if pi != nil {
						for j := range gi {
							gi[j] += pi[j] * cs[j]
							gf[j] += pf[j] * cs[j]
						}
					}
					rnApply(&act[0], gi, clip)
					if p.InputForget {
						for j := range gf {
							gf[j] = 1 - gi[j]
						}
					} else {
						rnApply(&act[0], gf, clip)
					}
					rnApply(&act[1], gc, clip)
					for j := range cs {
						cs[j] = gf[j]*cs[j] + gi[j]*gc[j]
					}
					if po != nil {
						for j := range gO {
							gO[j] += po[j] * cs[j]
						}
					}
					rnApply(&act[0], gO, clip)
					copy(hs, cs)
					rnApply(&act[2], hs, 0)
					for j := range hs {
						hs[j] *= gO[j]
					}
				}
			case rnCellGRU:
				// z and r first; the candidate's product needs r.
				nr := 2 * H
				if p.LinearBefore {
					nr = GH
				}
				// The first nr columns of the packed Rᵀ are its leading panels.
				productR(nr)
				for b := 0; b < B; b++ {
					rh := tmp[b*H : (b+1)*H]
					if k >= seq[b] {
						clear(rh)
						continue
					}
					t := tOf(b)
					g, xr := hr[b*GH:(b+1)*GH], xw[row(t, b)*GH:(row(t, b)+1)*GH]
					for j := range g[:2*H] {
						g[j] += xr[j]
					}
					rnApply(&act[0], g[:2*H], clip)
					hs, r := h[b*H:(b+1)*H], g[H:2*H]
					if p.LinearBefore {
						rbh := T(0)
						gh := g[2*H:]
						for j := range gh {
							if bd != nil {
								rbh = bd[d*2*GH+GH+2*H+j]
							}
							gh[j] = xr[2*H+j] + r[j]*(gh[j]+rbh)
						}
					} else {
						for j := range rh {
							rh[j] = r[j] * hs[j]
						}
					}
				}
				if !p.LinearBefore {
					rnMatMulT(x, B, H, H, tmp, H, Rd[2*H*H:], H, nil, tmp2, H)
				}
				for b := 0; b < B; b++ {
					if k >= seq[b] {
						continue
					}
					t := tOf(b)
					g := hr[b*GH : (b+1)*GH]
					gh := g[2*H:]
					if !p.LinearBefore {
						xr := xw[row(t, b)*GH+2*H : row(t, b)*GH+GH]
						for j, v := range tmp2[b*H : (b+1)*H] {
							gh[j] = xr[j] + v
						}
					}
					rnApply(&act[1], gh, clip)
					z, hs := g[:H], h[b*H:(b+1)*H]
					for j := range hs {
						hs[j] = (1-z[j])*gh[j] + z[j]*hs[j]
					}
				}
			}
			if y != nil {
				for b := 0; b < B; b++ {
					if k < seq[b] {
						o := yIdx(tOf(b), d, b)
						copy(y[o:o+H], h[b*H:(b+1)*H])
					}
				}
			}
		}
		for b := 0; b < B; b++ {
			if yh != nil {
				copy(yh[stIdx(d, b):stIdx(d, b)+H], h[b*H:(b+1)*H])
			}
			if yc != nil {
				copy(yc[stIdx(d, b):stIdx(d, b)+H], c[b*H:(b+1)*H])
			}
		}
	}
	if Yt != nil {
		atStore(Yt, y)
	}
	if Yht != nil {
		atStore(Yht, yh)
	}
	if Yct != nil {
		atStore(Yct, yc)
	}
	return nil
}

// rnIntAt is element i of an int32 or int64 tensor.
func rnIntAt(t *Tensor, i int) int64 {
	if t.DType == Int32 {
		return int64(Data[int32](t)[i])
	}
	return Data[int64](t)[i]
}
