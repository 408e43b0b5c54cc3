package ops

import (
	"strings"
	"testing"

	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// mstCase is one Infer check for the attention, recurrent and misc ops: inputs are ir.Type
// (a graph input), *runtime.Tensor (a constant) or nil (absent).
type mstCase struct {
	name   string
	op     string
	nout   int
	inputs []any
	attrs  []ir.Attr
	want   string // output types joined by " ", or "error: substring"
}

func mstRun(t *testing.T, cases []mstCase) {
	t.Helper()
	for _, c := range cases {
		g := ir.NewModel("test").Graph
		var ins []*ir.Value
		for _, in := range c.inputs {
			switch v := in.(type) {
			case nil:
				ins = append(ins, nil)
			case ir.Type:
				ins = append(ins, g.AddInput("", v))
			case *runtime.Tensor:
				ins = append(ins, g.AddConst("", v))
			}
		}
		n := g.NewNode(c.op, "", "", ins, c.nout, c.attrs...)
		d := Lookup("", c.op)
		if d == nil {
			t.Fatalf("%s not registered", c.op)
		}
		err := d.CheckArity(n)
		if err == nil {
			err = d.Infer(n)
		}
		if err == nil {
			_, err = d.Lower(n)
		}
		if strings.HasPrefix(c.want, "error: ") {
			if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(c.want, "error: ")) {
				t.Errorf("%s: got error %v, want %s", c.name, err, c.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		var got []string
		for _, o := range n.Outputs {
			got = append(got, o.Type.String())
		}
		if s := strings.Join(got, " "); s != c.want {
			t.Errorf("%s: %s, want %s", c.name, s, c.want)
		}
	}
}

func mstT(dt runtime.DType, dims ...int64) ir.Type {
	ds := make([]ir.Dim, len(dims))
	for i, d := range dims {
		ds[i] = ir.Static(d)
		if d < 0 {
			ds[i] = ir.Unknown()
		}
	}
	return ir.TensorType(dt, ds...)
}

func mstScalar(v int64) *runtime.Tensor {
	t := runtime.New(runtime.Int64)
	runtime.Data[int64](t)[0] = v
	return t
}

func TestAttentionInfer(t *testing.T) {
	f := runtime.Float32
	mstRun(t, []mstCase{
		{"4d", "Attention", 4, []any{mstT(f, 2, 6, 4, 8), mstT(f, 2, 3, 5, 8), mstT(f, 2, 3, 5, 10)}, nil,
			"float32[2,6,4,10] float32[2,3,5,8] float32[2,3,5,10] float32[2,6,4,5]"},
		{"4d past", "Attention", 3, []any{mstT(f, 2, 3, 4, 8), mstT(f, 2, 3, 5, 8), mstT(f, 2, 3, 5, 8), nil, mstT(f, 2, 3, 7, 8), mstT(f, 2, 3, 7, 8)}, nil,
			"float32[2,3,4,8] float32[2,3,12,8] float32[2,3,12,8]"},
		{"3d", "Attention", 1, []any{mstT(f, 2, 4, 72), mstT(f, 2, 6, 24), mstT(f, 2, 6, 30)}, []ir.Attr{ir.Int("q_num_heads", 9), ir.Int("kv_num_heads", 3)},
			"float32[2,4,90]"},
		{"3d unknown", "Attention", 2, []any{mstT(f, -1, -1, 72), mstT(f, -1, -1, 24), mstT(f, -1, -1, 24)}, []ir.Attr{ir.Int("q_num_heads", 9), ir.Int("kv_num_heads", 3)},
			"float32[?,?,72] float32[?,3,?,8]"},
		{"3d without heads", "Attention", 1, []any{mstT(f, 2, 4, 24), mstT(f, 2, 6, 24), mstT(f, 2, 6, 24)}, nil, "error: q_num_heads"},
		{"bad groups", "Attention", 1, []any{mstT(f, 2, 4, 4, 8), mstT(f, 2, 3, 5, 8), mstT(f, 2, 3, 5, 8)}, nil, "error: group"},
		{"int", "Attention", 1, []any{mstT(runtime.Int32, 2, 3, 4, 8), mstT(runtime.Int32, 2, 3, 5, 8), mstT(runtime.Int32, 2, 3, 5, 8)}, nil, "error: float"},
		{"rotary", "RotaryEmbedding", 1, []any{mstT(f, 2, 3, 32), mstT(f, 8, 4), mstT(f, 8, 4), mstT(runtime.Int64, 2, 3)}, []ir.Attr{ir.Int("num_heads", 4)}, "float32[2,3,32]"},
		{"rotary 3d no heads", "RotaryEmbedding", 1, []any{mstT(f, 2, 3, 32), mstT(f, 8, 4), mstT(f, 8, 4)}, nil, "error: num_heads"},
	})
}

func TestRecurrentInfer(t *testing.T) {
	f := runtime.Float32
	mstRun(t, []mstCase{
		{"lstm", "LSTM", 3, []any{mstT(f, 5, 2, 3), mstT(f, 1, 16, 3), mstT(f, 1, 16, 4)}, []ir.Attr{ir.Int("hidden_size", 4)},
			"float32[5,1,2,4] float32[1,2,4] float32[1,2,4]"},
		{"gru bidirectional layout 1", "GRU", 2, []any{mstT(f, 2, 5, 3), mstT(f, 2, 12, 3), mstT(f, 2, 12, 4)}, []ir.Attr{ir.String("direction", "bidirectional"), ir.Int("layout", 1)},
			"float32[2,5,2,4] float32[2,2,4]"},
		{"rnn hidden from R", "RNN", 2, []any{mstT(f, 5, 2, 3), mstT(f, 1, 4, 3), mstT(f, 1, 4, 4)}, nil, "float32[5,1,2,4] float32[1,2,4]"},
		{"lstm wrong rows", "LSTM", 1, []any{mstT(f, 5, 2, 3), mstT(f, 1, 12, 3), mstT(f, 1, 12, 4)}, []ir.Attr{ir.Int("hidden_size", 4)}, "error: gates"},
		{"bad direction", "RNN", 1, []any{mstT(f, 5, 2, 3), mstT(f, 1, 4, 3), mstT(f, 1, 4, 4)}, []ir.Attr{ir.String("direction", "sideways")}, "error: direction"},
		{"bad activation", "GRU", 1, []any{mstT(f, 5, 2, 3), mstT(f, 1, 12, 3), mstT(f, 1, 12, 4)}, []ir.Attr{ir.Strings("activations", "Sigmoid", "Gelu")}, "error: activation"},
		{"activation count", "LSTM", 1, []any{mstT(f, 5, 2, 3), mstT(f, 1, 16, 3), mstT(f, 1, 16, 4)}, []ir.Attr{ir.Strings("activations", "Sigmoid")}, "error: activations"},
	})
}

func TestMiscInfer(t *testing.T) {
	f := runtime.Float32
	s := runtime.String
	mstRun(t, []mstCase{
		{"swiglu", "SwiGLU", 1, []any{mstT(f, 2, 1), mstT(f, 3)}, nil, "float32[2,3]"},
		{"det", "Det", 1, []any{mstT(f, 4, 3, 3)}, nil, "float32[4]"},
		{"det not square", "Det", 1, []any{mstT(f, 4, 3, 2)}, nil, "error: square"},
		{"hann", "HannWindow", 1, []any{mstScalar(10)}, []ir.Attr{ir.Int("output_datatype", 11)}, "float64[10]"},
		{"hamming unknown", "HammingWindow", 1, []any{mstT(runtime.Int64)}, nil, "float32[?]"},
		{"mel", "MelWeightMatrix", 1, []any{mstScalar(8), mstScalar(16), mstScalar(8192), mstT(f), mstT(f)}, nil, "float32[9,8]"},
		{"dft", "DFT", 1, []any{mstT(f, 1, 10, 10, 1), nil, mstScalar(1)}, nil, "float32[1,10,10,2]"},
		{"rfft", "DFT", 1, []any{mstT(f, 1, 10, 10, 1), nil, mstScalar(1)}, []ir.Attr{ir.Int("onesided", 1)}, "float32[1,6,10,2]"},
		{"irfft", "DFT", 1, []any{mstT(f, 1, 6, 10, 2), nil, mstScalar(1)}, []ir.Attr{ir.Int("onesided", 1), ir.Int("inverse", 1)}, "float32[1,10,10,1]"},
		{"dft length default axis", "DFT", 1, []any{mstT(f, 3, 7, 2), mstScalar(16)}, nil, "float32[3,16,2]"},
		{"dft axis on parts", "DFT", 1, []any{mstT(f, 3, 7, 2), nil, mstScalar(-1)}, nil, "error: axis"},
		{"stft", "STFT", 1, []any{mstT(f, 1, 128, 1), mstScalar(8), nil, mstScalar(16)}, nil, "float32[1,15,9,2]"},
		{"stft window", "STFT", 1, []any{mstT(f, 1, 128, 1), mstScalar(8), mstT(f, 16)}, []ir.Attr{ir.Int("onesided", 0)}, "float32[1,15,16,2]"},
		{"nms", "NonMaxSuppression", 1, []any{mstT(f, 1, 6, 4), mstT(f, 1, 2, 6)}, nil, "int64[?,3]"},
		{"concat", "StringConcat", 1, []any{mstT(s, 2, 1), mstT(s, 3)}, nil, "string[2,3]"},
		{"concat ints", "StringConcat", 1, []any{mstT(runtime.Int64, 2), mstT(s, 2)}, nil, "error: want string"},
		{"split", "StringSplit", 2, []any{mstT(s, 2, 3)}, nil, "string[2,3,?] int64[2,3]"},
		{"normalizer", "StringNormalizer", 1, []any{mstT(s, 1, 3)}, nil, "string[1,?]"},
		{"normalizer rows", "StringNormalizer", 1, []any{mstT(s, 2, 3)}, nil, "error: rows"},
		{"regex", "RegexFullMatch", 1, []any{mstT(s, 2, 3)}, []ir.Attr{ir.String("pattern", "a+")}, "bool[2,3]"},
		{"tfidf", "TfIdfVectorizer", 1, []any{mstT(runtime.Int32, 2, 5)}, []ir.Attr{ir.String("mode", "TF"), ir.Ints("ngram_indexes", 0, 4, 2)}, "float32[2,5]"},
		{"tfidf mode", "TfIdfVectorizer", 1, []any{mstT(runtime.Int32, 5)}, []ir.Attr{ir.String("mode", "BM25")}, "error: mode"},
	})
}
