package paddle

import (
	"encoding/binary"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/onnxc/onnxc/frontend/paddle/paddlepb"
	"github.com/onnxc/onnxc/runtime"
)

// dtypes maps Paddle's VarType data types onto runtime element types.
var dtypes = map[paddlepb.VarType_Type]runtime.DType{
	paddlepb.VarType_BOOL: runtime.Bool, paddlepb.VarType_INT16: runtime.Int16, paddlepb.VarType_INT32: runtime.Int32,
	paddlepb.VarType_INT64: runtime.Int64, paddlepb.VarType_FP16: runtime.Float16, paddlepb.VarType_FP32: runtime.Float32,
	paddlepb.VarType_FP64: runtime.Float64, paddlepb.VarType_UINT8: runtime.Uint8, paddlepb.VarType_INT8: runtime.Int8,
	paddlepb.VarType_BF16: runtime.BFloat16,
}

// paramReader walks the records of a params file: per tensor, a uint32 version, the LoD levels
// (uint64 count, then per level a uint64 byte size and its bytes), a uint32 tensor version, an
// int32 size and a TensorDesc protobuf of that size, then the raw little-endian data.
type paramReader struct {
	b   []byte
	off int
}

func (r *paramReader) take(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.off {
		return nil, fmt.Errorf("params end at byte %d, record needs %d more bytes", len(r.b), n)
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s, nil
}

func (r *paramReader) u32() (uint32, error) {
	b, err := r.take(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (r *paramReader) u64() (uint64, error) {
	b, err := r.take(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (r *paramReader) done() bool { return r.off == len(r.b) }

// next reads one tensor record.
func (r *paramReader) next() (*runtime.Tensor, error) {
	start := r.off
	if _, err := r.u32(); err != nil {
		return nil, err
	}
	levels, err := r.u64()
	if err != nil {
		return nil, err
	}
	if levels > 16 {
		return nil, fmt.Errorf("record at byte %d: %d LoD levels", start, levels)
	}
	for i := uint64(0); i < levels; i++ {
		n, err := r.u64()
		if err != nil {
			return nil, err
		}
		if n > uint64(len(r.b)) {
			return nil, fmt.Errorf("record at byte %d: LoD level of %d bytes", start, n)
		}
		if _, err := r.take(int(n)); err != nil {
			return nil, err
		}
	}
	if _, err := r.u32(); err != nil {
		return nil, err
	}
	descSize, err := r.u32()
	if err != nil {
		return nil, err
	}
	descBytes, err := r.take(int(int32(descSize)))
	if err != nil {
		return nil, fmt.Errorf("record at byte %d: tensor description: %w", start, err)
	}
	var desc paddlepb.VarType_TensorDesc
	if err := proto.Unmarshal(descBytes, &desc); err != nil {
		return nil, fmt.Errorf("record at byte %d: tensor description: %w", start, err)
	}
	dt, ok := dtypes[desc.GetDataType()]
	if !ok {
		return nil, fmt.Errorf("record at byte %d: element type %s is not supported", start, desc.GetDataType())
	}
	// The data must be in the file: a record cannot make the reader allocate what it merely
	// declares.
	shape := make([]int, len(desc.Dims))
	left := int64(len(r.b) - r.off)
	size, fits := int64(dt.Size()), true
	for i, d := range desc.Dims {
		if d < 0 {
			return nil, fmt.Errorf("record at byte %d: negative dim in %v", start, desc.Dims)
		}
		if d > 0 && size > left/d {
			fits = false
		}
		shape[i] = int(d)
		if fits {
			size *= d
		}
	}
	if slices.Contains(shape, 0) {
		size, fits = 0, true
	}
	if !fits {
		return nil, fmt.Errorf("record at byte %d: %s%v needs more data than the %d bytes left in the file", start, dt, shape, left)
	}
	data, err := r.take(int(size))
	if err != nil {
		return nil, fmt.Errorf("record at byte %d (%s%v): data: %w", start, dt, shape, err)
	}
	t := runtime.New(dt, shape...)
	copy(t.Bytes(), data)
	return t, nil
}
