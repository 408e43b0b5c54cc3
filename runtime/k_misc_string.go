package runtime

import (
	"encoding/binary"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode"
)

// StringConcat concatenates two string tensors elementwise, with numpy broadcasting.
func StringConcat(x *Exec, _ *struct{}, out, in []*Tensor) error {
	A, B := in[0], in[1]
	if A.DType != String || B.DType != String {
		return fmt.Errorf("string concat: inputs of %s and %s", A.DType, B.DType)
	}
	shape, err := BroadcastShape(A.Shape, B.Shape)
	if err != nil {
		return fmt.Errorf("string concat: %w", err)
	}
	out[0].Resize(String, shape...)
	y := out[0].Strs
	if len(y) == 0 {
		return nil
	}
	it := NewStridedIndex(shape, BroadcastStrides(A.Shape, shape), BroadcastStrides(B.Shape, shape))
	o := 0
	for it.Next() {
		ao, bo := it.Off[0], it.Off[1]
		for k := 0; k < it.Inner; k++ {
			y[o] = A.Strs[ao+k*it.InnerStride[0]] + B.Strs[bo+k*it.InnerStride[1]]
			o++
		}
	}
	return nil
}

// StringSplitParams configures StringSplit.
type StringSplitParams struct {
	// Delimiter separates the pieces; empty means runs of whitespace, with leading and
	// trailing whitespace ignored (Python's str.split()).
	Delimiter string
	// MaxSplit bounds the number of splits (-1: no bound).
	MaxSplit int
}

// StringSplit splits every string; output 0 has one more dim holding the pieces, padded with
// empty strings to the longest split, and output 1 (int64, input's shape) counts the pieces.
func StringSplit(x *Exec, p *StringSplitParams, out, in []*Tensor) error {
	X := in[0]
	if X.DType != String {
		return fmt.Errorf("string split: input of %s", X.DType)
	}
	parts := make([][]string, len(X.Strs))
	widest := 0
	for i, s := range X.Strs {
		if p.Delimiter == "" {
			parts[i] = msFieldsN(s, p.MaxSplit)
		} else {
			n := p.MaxSplit + 1
			if p.MaxSplit < 0 {
				n = -1
			}
			parts[i] = strings.SplitN(s, p.Delimiter, n)
		}
		widest = max(widest, len(parts[i]))
	}
	shape := append(append([]int{}, X.Shape...), widest)
	out[0].Resize(String, shape...)
	y := out[0].Strs
	for i, ps := range parts {
		row := y[i*widest : (i+1)*widest]
		copy(row, ps)
		for j := len(ps); j < widest; j++ {
			row[j] = ""
		}
	}
	if len(out) > 1 && out[1] != nil {
		out[1].Resize(Int64, X.Shape...)
		for i, ps := range parts {
			Data[int64](out[1])[i] = int64(len(ps))
		}
	}
	return nil
}

// msFieldsN splits at runs of whitespace like Python's str.split(None, maxsplit): at most
// maxsplit splits (negative: any number), the remainder keeping everything after the
// whitespace that ends the last split.
func msFieldsN(s string, maxsplit int) []string {
	if maxsplit < 0 {
		return strings.FieldsFunc(s, msIsSpace)
	}
	var res []string
	s = strings.TrimLeftFunc(s, msIsSpace)
	for len(s) > 0 {
		if len(res) == maxsplit {
			return append(res, s)
		}
		i := strings.IndexFunc(s, msIsSpace)
		if i < 0 {
			return append(res, s)
		}
		res = append(res, s[:i])
		s = strings.TrimLeftFunc(s[i:], msIsSpace)
	}
	return res
}

// msIsSpace is Python's notion of whitespace: Unicode spaces and the ASCII separators
// \x1c to \x1f.
func msIsSpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

// StringNormalizerParams configures StringNormalizer.
type StringNormalizerParams struct {
	CaseChange    string // "NONE", "LOWER" or "UPPER"
	CaseSensitive bool
	Stopwords     []string
}

// StringNormalizer drops the strings that are stopwords (compared exactly, or ignoring case)
// and changes the case of the rest. The input is [C] or [1, C]; when nothing is left the output
// is a single empty string ([1] or [1, 1]).
func StringNormalizer(x *Exec, p *StringNormalizerParams, out, in []*Tensor) error {
	X := in[0]
	if X.DType != String {
		return fmt.Errorf("string normalizer: input of %s", X.DType)
	}
	if !(len(X.Shape) == 1 || (len(X.Shape) == 2 && X.Shape[0] == 1)) {
		return fmt.Errorf("string normalizer: input %v, want [C] or [1, C]", X.Shape)
	}
	stop := make(map[string]bool, len(p.Stopwords))
	for _, w := range p.Stopwords {
		if !p.CaseSensitive {
			w = strings.ToLower(w)
		}
		stop[w] = true
	}
	var kept []string
	for _, s := range X.Strs {
		k := s
		if !p.CaseSensitive {
			k = strings.ToLower(s)
		}
		if stop[k] {
			continue
		}
		switch p.CaseChange {
		case "LOWER":
			s = strings.ToLower(s)
		case "UPPER":
			s = strings.ToUpper(s)
		}
		kept = append(kept, s)
	}
	if len(kept) == 0 {
		kept = []string{""}
	}
	if len(X.Shape) == 2 {
		out[0].Resize(String, 1, len(kept))
	} else {
		out[0].Resize(String, len(kept))
	}
	copy(out[0].Strs, kept)
	return nil
}

// RegexFullMatchParams configures RegexFullMatch.
type RegexFullMatchParams struct {
	Pattern string // RE2 syntax, as ONNX specifies
}

var msRegexCache sync.Map // pattern -> *regexp.Regexp

// RegexFullMatch reports, for every string, whether the whole string matches the pattern.
func RegexFullMatch(x *Exec, p *RegexFullMatchParams, out, in []*Tensor) error {
	X := in[0]
	if X.DType != String {
		return fmt.Errorf("regex full match: input of %s", X.DType)
	}
	var re *regexp.Regexp
	if v, ok := msRegexCache.Load(p.Pattern); ok {
		re = v.(*regexp.Regexp)
	} else {
		var err error
		// Anchoring a non-capturing group makes any match a full match.
		if re, err = regexp.Compile(`^(?:` + p.Pattern + `)$`); err != nil {
			return fmt.Errorf("regex full match: %w", err)
		}
		msRegexCache.Store(p.Pattern, re)
	}
	out[0].Resize(Bool, X.Shape...)
	y := Data[bool](out[0])
	for i, s := range X.Strs {
		y[i] = re.MatchString(s)
	}
	return nil
}

// TfIdfVectorizerParams configures TfIdfVectorizer (attributes as in ONNX).
type TfIdfVectorizerParams struct {
	MinGram, MaxGram, MaxSkip int
	Mode                      string // "TF", "IDF" or "TFIDF"
	NgramCounts               []int64
	NgramIndexes              []int64
	PoolInt64s                []int64
	PoolStrings               []string
	Weights                   []float32
}

// msTfIdfPool maps an encoded n-gram to its output column.
type msTfIdfPool struct {
	grams map[string]int
	width int
}

var msTfIdfCache sync.Map // *TfIdfVectorizerParams -> *msTfIdfPool

func (p *TfIdfVectorizerParams) pool() (*msTfIdfPool, error) {
	if v, ok := msTfIdfCache.Load(p); ok {
		return v.(*msTfIdfPool), nil
	}
	total := len(p.PoolInt64s)
	strs := total == 0
	if strs {
		total = len(p.PoolStrings)
	}
	pl := &msTfIdfPool{grams: map[string]int{}}
	for _, ix := range p.NgramIndexes {
		pl.width = max(pl.width, int(ix)+1)
	}
	// Pool entries are numbered in order across all gram sizes; n-grams of sizes outside
	// [MinGram, MaxGram] keep their numbers but are never counted.
	id := 0
	for i, start := range p.NgramCounts {
		size := i + 1
		end := int64(total)
		if i+1 < len(p.NgramCounts) {
			end = p.NgramCounts[i+1]
		}
		if start < 0 || end > int64(total) || start > end {
			return nil, fmt.Errorf("tfidf: ngram_counts %v do not fit a pool of %d", p.NgramCounts, total)
		}
		for g := start; g+int64(size) <= end; g += int64(size) {
			if size >= p.MinGram && size <= p.MaxGram {
				if id >= len(p.NgramIndexes) {
					return nil, fmt.Errorf("tfidf: %d ngram_indexes for a larger pool", len(p.NgramIndexes))
				}
				var key []byte
				for k := g; k < g+int64(size); k++ {
					if strs {
						key = msGramKeyString(key, p.PoolStrings[k])
					} else {
						key = binary.LittleEndian.AppendUint64(key, uint64(p.PoolInt64s[k]))
					}
				}
				pl.grams[string(key)] = int(p.NgramIndexes[id])
			}
			id++
		}
	}
	msTfIdfCache.Store(p, pl)
	return pl, nil
}

func msGramKeyString(key []byte, s string) []byte {
	key = binary.LittleEndian.AppendUint32(key, uint32(len(s)))
	return append(key, s...)
}

// TfIdfVectorizer counts, per row of a [C] or [B, C] input of int32, int64 or strings, the
// pooled n-grams (of MinGram..MaxGram items, consecutive or taken every skip+1 items for skips
// up to MaxSkip; unigrams counted once) and weighs the counts by Mode. Output float32 [width]
// or [B, width].
func TfIdfVectorizer(x *Exec, p *TfIdfVectorizerParams, out, in []*Tensor) error {
	X := in[0]
	pl, err := p.pool()
	if err != nil {
		return err
	}
	rows, C := 1, 0
	var oshape []int
	switch len(X.Shape) {
	case 0:
		C = 1
		oshape = []int{pl.width}
	case 1:
		C = X.Shape[0]
		oshape = []int{pl.width}
	case 2:
		rows, C = X.Shape[0], X.Shape[1]
		oshape = []int{rows, pl.width}
	default:
		return fmt.Errorf("tfidf: input %v, want [C] or [B, C]", X.Shape)
	}
	var key func(i int, b []byte) []byte
	switch X.DType {
	case Int64:
		d := Data[int64](X)
		key = func(i int, b []byte) []byte { return binary.LittleEndian.AppendUint64(b, uint64(d[i])) }
	case Int32:
		d := Data[int32](X)
		key = func(i int, b []byte) []byte { return binary.LittleEndian.AppendUint64(b, uint64(int64(d[i]))) }
	case String:
		key = func(i int, b []byte) []byte { return msGramKeyString(b, X.Strs[i]) }
	default:
		return fmt.Errorf("tfidf: input of %s", X.DType)
	}
	if (X.DType == String) != (len(p.PoolStrings) > 0) && len(pl.grams) > 0 {
		return fmt.Errorf("tfidf: input of %s with a pool of the other kind", X.DType)
	}
	counts := make([]int64, rows*pl.width)
	var buf []byte
	for r := 0; r < rows; r++ {
		first := p.MinGram
		for skip := 0; skip <= p.MaxSkip; skip++ {
			dist := skip + 1
			for s := 0; s < C; s++ {
				buf = buf[:0]
				for n, at := 1, s; n <= p.MaxGram && at < C; n, at = n+1, at+dist {
					buf = key(r*C+at, buf)
					if n < first {
						continue
					}
					if col, ok := pl.grams[string(buf)]; ok {
						counts[r*pl.width+col]++
					}
				}
			}
			// Unigrams do not depend on the skip: count them on the first pass only.
			if first == 1 {
				first = 2
				if first > p.MaxGram {
					break
				}
			}
		}
	}
	out[0].Resize(Float32, oshape...)
	y := Data[float32](out[0])
	for i, c := range counts {
		col := i % max(pl.width, 1)
		w := float32(1)
		if len(p.Weights) > 0 && col < len(p.Weights) {
			w = p.Weights[col]
		}
		switch p.Mode {
		case "TF":
			y[i] = float32(c)
		case "IDF":
			y[i] = 0
			if c > 0 {
				y[i] = w
			}
		case "TFIDF":
			y[i] = w * float32(c)
		default:
			return fmt.Errorf("tfidf: unknown mode %q", p.Mode)
		}
	}
	return nil
}
