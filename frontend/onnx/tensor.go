package onnx

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/onnxc/onnxc/frontend/onnx/onnxpb"
	"github.com/onnxc/onnxc/runtime"
)

// maxDenseBytes bounds the size of a tensor that the importer materializes from a description
// much smaller than itself (a sparse tensor densified). Tensors whose bytes are in the file or
// in an external file are bounded by those files instead.
const maxDenseBytes = 1 << 30

// dtypeName is the ONNX name of an element type, for errors about types runtime.DType lacks.
func dtypeName(dt int32) string {
	if name, ok := onnxpb.TensorProto_DataType_name[dt]; ok {
		return name
	}
	return fmt.Sprintf("data type %d", dt)
}

// checkDType reports an element type that onnxc cannot hold in a constant.
func checkDType(dt int32) (runtime.DType, error) {
	d := runtime.DType(dt)
	if dt <= 0 || dt > math.MaxUint8 || !d.Valid() {
		if dt == 0 {
			return 0, errors.New("has no element type (data_type unset)")
		}
		return 0, fmt.Errorf("has element type %s, which onnxc does not support", dtypeName(dt))
	}
	return d, nil
}

// shapeOf checks dims (none negative, product within int) and returns them as a shape with
// its element count.
func shapeOf(dims []int64) ([]int, int, error) {
	shape := make([]int, len(dims))
	n := uint64(1)
	for i, d := range dims {
		if d < 0 {
			return nil, 0, fmt.Errorf("has negative dim %d", d)
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > uint64(math.MaxInt) {
			return nil, 0, fmt.Errorf("has dims %v whose product overflows", dims)
		}
		n = lo
		shape[i] = int(d)
	}
	return shape, int(n), nil
}

// tensor converts a TensorProto to a runtime tensor. Errors name the tensor; the caller adds
// the file.
func (imp *importer) tensor(tp *onnxpb.TensorProto) (*runtime.Tensor, error) {
	t, err := imp.tensorData(tp)
	if err != nil {
		return nil, fmt.Errorf("tensor %q %w", tp.GetName(), err)
	}
	return t, nil
}

func (imp *importer) tensorData(tp *onnxpb.TensorProto) (*runtime.Tensor, error) {
	if tp == nil {
		return nil, errors.New("is missing")
	}
	dt, err := checkDType(tp.GetDataType())
	if err != nil {
		return nil, err
	}
	if tp.Segment != nil {
		return nil, errors.New("is a segment of a larger tensor, which onnxc does not support")
	}
	shape, n, err := shapeOf(tp.GetDims())
	if err != nil {
		return nil, err
	}
	size := dt.Size()
	if dt != runtime.String {
		// The byte count must fit an int before anything is allocated.
		if n > math.MaxInt/size {
			return nil, fmt.Errorf("has dims %v whose size in bytes overflows", tp.GetDims())
		}
	}
	external := tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL || len(tp.ExternalData) > 0
	if external {
		if dt == runtime.String {
			return nil, errors.New("is a string tensor with external data, which ONNX does not allow")
		}
		return imp.externalTensor(tp, dt, shape, runtime.StoredLen(dt, n))
	}
	if tp.RawData != nil {
		if dt == runtime.String {
			return nil, errors.New("is a string tensor with raw_data, which ONNX does not allow")
		}
		if want := runtime.StoredLen(dt, n); len(tp.RawData) != want {
			return nil, fmt.Errorf("has %d bytes of raw_data, want %d for %s%v", len(tp.RawData), want, dt, shape)
		}
		t := runtime.New(dt, shape...)
		// The 4- and 2-bit types are packed in the file and one per byte in memory.
		runtime.UnpackNarrow(dt, t.Bytes(), tp.RawData)
		if dt == runtime.Bool {
			normalizeBools(t.Bytes())
		}
		return t, nil
	}
	return typedTensor(tp, dt, shape, n)
}

// normalizeBools makes every nonzero byte of a bool tensor a 1, the only true value kernels use.
func normalizeBools(b []byte) {
	for i, v := range b {
		if v != 0 {
			b[i] = 1
		}
	}
}

// typedTensor reads the data from the typed repeated field that ONNX uses for dt.
func typedTensor(tp *onnxpb.TensorProto, dt runtime.DType, shape []int, n int) (*runtime.Tensor, error) {
	var have int
	var field string
	switch dt {
	case runtime.Float32:
		have, field = len(tp.FloatData), "float_data"
	case runtime.Float64:
		have, field = len(tp.DoubleData), "double_data"
	case runtime.Int64:
		have, field = len(tp.Int64Data), "int64_data"
	case runtime.Uint32, runtime.Uint64:
		have, field = len(tp.Uint64Data), "uint64_data"
	case runtime.String:
		have, field = len(tp.StringData), "string_data"
	default:
		have, field = len(tp.Int32Data), "int32_data"
	}
	if dt.Bits() < 8 {
		// int32_data holds the packed bytes: two 4-bit or four 2-bit elements each.
		if want := runtime.StoredLen(dt, n); have != want {
			return nil, fmt.Errorf("has %d packed bytes in int32_data, want %d for %s%v", have, want, dt, shape)
		}
		packed := make([]byte, have)
		for i, v := range tp.Int32Data {
			if v < 0 || v > math.MaxUint8 {
				return nil, fmt.Errorf("has packed byte %d in int32_data, out of range", v)
			}
			packed[i] = byte(v)
		}
		t := runtime.New(dt, shape...)
		runtime.UnpackNarrow(dt, t.Bytes(), packed)
		return t, nil
	}
	if have != n {
		if have == 0 {
			return nil, fmt.Errorf("of type %s%v has no data (want %d elements)", dt, shape, n)
		}
		return nil, fmt.Errorf("has %d elements in %s, want %d for %s%v", have, field, n, dt, shape)
	}
	t := runtime.New(dt, shape...)
	switch dt {
	case runtime.Float32:
		copy(runtime.Data[float32](t), tp.FloatData)
	case runtime.Float64:
		copy(runtime.Data[float64](t), tp.DoubleData)
	case runtime.Int64:
		copy(runtime.Data[int64](t), tp.Int64Data)
	case runtime.Uint64:
		copy(runtime.Data[uint64](t), tp.Uint64Data)
	case runtime.Uint32:
		fill(runtime.Data[uint32](t), tp.Uint64Data)
	case runtime.String:
		for i, s := range tp.StringData {
			t.Strs[i] = string(s)
		}
	case runtime.Int32:
		copy(runtime.Data[int32](t), tp.Int32Data)
	case runtime.Int16:
		fill(runtime.Data[int16](t), tp.Int32Data)
	case runtime.Int8:
		fill(runtime.Data[int8](t), tp.Int32Data)
	case runtime.Uint16, runtime.Float16, runtime.BFloat16:
		// float16 and bfloat16 are stored as their bit patterns in the low 16 bits.
		fill(runtime.Data[uint16](t), tp.Int32Data)
	case runtime.Uint8, runtime.Float8E4M3FN, runtime.Float8E4M3FNUZ, runtime.Float8E5M2,
		runtime.Float8E5M2FNUZ, runtime.Float8E8M0:
		// float8 values are stored as their bit patterns.
		fill(runtime.Data[uint8](t), tp.Int32Data)
	case runtime.Bool:
		b := runtime.Data[bool](t)
		for i, v := range tp.Int32Data {
			b[i] = v != 0
		}
	default:
		return nil, fmt.Errorf("has element type %s, which onnxc cannot read from typed fields", dt)
	}
	return t, nil
}

// fill converts integers element by element, wrapping like a C cast as ONNX's own readers do.
func fill[D, S int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](dst []D, src []S) {
	for i, v := range src {
		dst[i] = D(v)
	}
}

// externalTensor reads a tensor stored in a file beside the model. The file must lie inside the
// model's folder: absolute locations and locations that leave the folder, by ".." or by a
// symbolic link, are refused, so a model cannot make the compiler read arbitrary files.
func (imp *importer) externalTensor(tp *onnxpb.TensorProto, dt runtime.DType, shape []int, want int) (*runtime.Tensor, error) {
	var loc string
	offset, length := int64(0), int64(-1)
	for _, kv := range tp.ExternalData {
		var err error
		switch kv.GetKey() {
		case "location":
			loc = kv.GetValue()
		case "offset":
			offset, err = strconv.ParseInt(kv.GetValue(), 10, 64)
		case "length":
			length, err = strconv.ParseInt(kv.GetValue(), 10, 64)
		}
		if err != nil || offset < 0 || (kv.GetKey() == "length" && length < 0) {
			return nil, fmt.Errorf("has an invalid external data %s %q", kv.GetKey(), kv.GetValue())
		}
	}
	if loc == "" {
		return nil, errors.New("has external data without a location")
	}
	if imp.dir == "" {
		return nil, fmt.Errorf("has its data in external file %q, but the model's folder is unknown", loc)
	}
	rel, err := confine(imp.dir, loc)
	if err != nil {
		return nil, err
	}
	if imp.root == nil {
		root, err := os.OpenRoot(imp.dir)
		if err != nil {
			return nil, fmt.Errorf("has its data in external file %q, but the model's folder cannot be opened: %v", loc, err)
		}
		imp.root = root
	}
	// os.Root refuses, race-free, any path that resolves outside the folder.
	f, err := imp.root.Open(rel)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("has its data in external file %q, which does not exist in %s", loc, imp.dir)
		}
		return nil, fmt.Errorf("has its data in external file %q, which cannot be opened inside the model's folder (symbolic links must be relative and stay inside it): %v", loc, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("external file %q: %v", loc, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("has its data in %q, which is not a regular file", loc)
	}
	fsize := st.Size()
	if offset > fsize {
		return nil, fmt.Errorf("has external data at offset %d of %q, beyond its end (%d bytes)", offset, loc, fsize)
	}
	if length < 0 {
		length = fsize - offset
	}
	if length != int64(want) {
		return nil, fmt.Errorf("has %d bytes of external data in %q, want %d for %s%v", length, loc, want, dt, shape)
	}
	if length > fsize-offset {
		return nil, fmt.Errorf("has external data %q [%d, %d+%d), beyond its end (%d bytes)", loc, offset, offset, length, fsize)
	}
	t := runtime.New(dt, shape...)
	if want > 0 {
		buf := t.Bytes()
		if dt.Bits() < 8 {
			buf = make([]byte, want)
		}
		if _, err := f.ReadAt(buf, offset); err != nil {
			return nil, fmt.Errorf("reading external data from %q: %v", loc, err)
		}
		if dt.Bits() < 8 {
			runtime.UnpackNarrow(dt, t.Bytes(), buf)
		}
	}
	if dt == runtime.Bool {
		normalizeBools(t.Bytes())
	}
	return t, nil
}

// confine checks an external-data location and returns it as a path relative to dir. It gives
// clear errors for the ways a location can leave dir; os.Root enforces the same when opening.
func confine(dir, loc string) (string, error) {
	if filepath.IsAbs(loc) || strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, `\`) || filepath.VolumeName(loc) != "" {
		return "", fmt.Errorf("has external data at absolute path %q; only paths relative to the model's folder are allowed", loc)
	}
	rel := filepath.Clean(filepath.FromSlash(loc))
	if rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("has external data at %q, which leaves the model's folder", loc)
	}
	if real, err := filepath.EvalSymlinks(filepath.Join(dir, rel)); err == nil {
		base, err := filepath.EvalSymlinks(dir)
		if err == nil {
			r, err := filepath.Rel(base, real)
			if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
				return "", fmt.Errorf("has external data at %q, which leaves the model's folder through a symbolic link", loc)
			}
		}
	}
	return rel, nil
}

// sparse densifies a SparseTensorProto: values at indices, zero elsewhere.
func (imp *importer) sparse(sp *onnxpb.SparseTensorProto) (*runtime.Tensor, error) {
	name := sp.GetValues().GetName()
	t, err := imp.sparseData(sp)
	if err != nil {
		return nil, fmt.Errorf("sparse tensor %q %w", name, err)
	}
	return t, nil
}

func (imp *importer) sparseData(sp *onnxpb.SparseTensorProto) (*runtime.Tensor, error) {
	if sp == nil {
		return nil, errors.New("is missing") // a SPARSE_TENSOR attribute without one
	}
	if sp.Values == nil || sp.Indices == nil {
		return nil, errors.New("lacks values or indices")
	}
	vals, err := imp.tensorData(sp.Values)
	if err != nil {
		return nil, fmt.Errorf("values %w", err)
	}
	idx, err := imp.tensorData(sp.Indices)
	if err != nil {
		return nil, fmt.Errorf("indices %w", err)
	}
	if idx.DType != runtime.Int64 {
		return nil, fmt.Errorf("has %s indices, want int64", idx.DType)
	}
	shape, n, err := shapeOf(sp.GetDims())
	if err != nil {
		return nil, err
	}
	if len(vals.Shape) != 1 {
		return nil, fmt.Errorf("has values of shape %v, want 1-D", vals.Shape)
	}
	if vals.DType != runtime.String && n > maxDenseBytes/vals.DType.Size() {
		return nil, fmt.Errorf("densifies to %s%v, more than onnxc allows (%d bytes)", vals.DType, shape, maxDenseBytes)
	}
	if vals.DType == runtime.String && n > maxDenseBytes/16 {
		return nil, fmt.Errorf("densifies to %d strings, more than onnxc allows", n)
	}
	nnz := vals.Shape[0]
	ix := runtime.Data[int64](idx)
	// Indices are either linear ([nnz]) or coordinates ([nnz, rank]).
	var linear []int64
	switch {
	case len(idx.Shape) == 1 && idx.Shape[0] == nnz:
		linear = ix
	case len(idx.Shape) == 2 && idx.Shape[0] == nnz && idx.Shape[1] == len(shape):
		linear = make([]int64, nnz)
		for k := 0; k < nnz; k++ {
			var l int64
			for d, dim := range shape {
				c := ix[k*len(shape)+d]
				if c < 0 || c >= int64(dim) {
					return nil, fmt.Errorf("has index %d out of range for dim %d of %v", c, d, shape)
				}
				l = l*int64(dim) + c
			}
			linear[k] = l
		}
	default:
		return nil, fmt.Errorf("has indices of shape %v for %d values of a rank-%d tensor", idx.Shape, nnz, len(shape))
	}
	t := runtime.New(vals.DType, shape...)
	size := vals.DType.Size()
	var dst, src []byte
	if vals.DType != runtime.String {
		dst, src = t.Bytes(), vals.Bytes()
	}
	for k, l := range linear {
		if l < 0 || l >= int64(n) {
			return nil, fmt.Errorf("has index %d out of range for %d elements", l, n)
		}
		if vals.DType == runtime.String {
			t.Strs[l] = vals.Strs[k]
			continue
		}
		copy(dst[int(l)*size:int(l+1)*size], src[k*size:(k+1)*size])
	}
	return t, nil
}
