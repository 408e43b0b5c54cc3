package ir

import "sync"

// OpID is an interned op identity: every (domain, op) pair the process has seen maps to one
// small integer, so that the passes and the operator table compare and index ops by number
// instead of building and hashing strings per node. IDs are dense from 1; 0 is no op.
type OpID uint32

var opTable struct {
	sync.RWMutex
	ids   map[opKey]OpID
	names []opKey // by id; names[0] is unused
}

type opKey struct{ domain, op string }

// InternOp returns the identity of (domain, op); "ai.onnx" and "" are one domain.
func InternOp(domain, op string) OpID {
	if domain == "ai.onnx" {
		domain = ""
	}
	k := opKey{domain, op}
	opTable.RLock()
	id, ok := opTable.ids[k]
	opTable.RUnlock()
	if ok {
		return id
	}
	opTable.Lock()
	defer opTable.Unlock()
	if id, ok := opTable.ids[k]; ok {
		return id
	}
	if opTable.ids == nil {
		opTable.ids = map[opKey]OpID{}
		opTable.names = []opKey{{}}
	}
	id = OpID(len(opTable.names))
	opTable.ids[k] = id
	opTable.names = append(opTable.names, k)
	return id
}

// Domain and Name return the pair an identity stands for.
func (id OpID) Domain() string { return id.key().domain }

// Name returns the op's name.
func (id OpID) Name() string { return id.key().op }

func (id OpID) key() opKey {
	opTable.RLock()
	defer opTable.RUnlock()
	if int(id) < len(opTable.names) {
		return opTable.names[id]
	}
	return opKey{}
}

func (id OpID) String() string {
	k := id.key()
	if k.domain != "" {
		return k.domain + "." + k.op
	}
	return k.op
}
