package parser

import (
	"sync"

	"github.com/aymerick/douceur/css"
)

// Added in Atende's copy of douceur v0.2.0 (see ../ATENDE.md).

// memoEntries bounds the memo; when full it starts over (the styles of the
// messages being read now are what repeats). memoMaxText leaves long
// style texts (rare, and unlikely to repeat) out of it.
const (
	memoEntries = 4096
	memoMaxText = 2048
)

// memo is the package's one cache of parsed declaration lists, shared by
// every caller (bluemonday's package-level function has no other place to
// keep it); safe for concurrent use.
var memo = &declMemo{m: make(map[string][]css.Declaration)}

type declMemo struct {
	mu sync.Mutex
	m  map[string][]css.Declaration
}

// get returns fresh copies of the declarations parsed from text before.
func (c *declMemo) get(text string) ([]*css.Declaration, bool) {
	if len(text) > memoMaxText {
		return nil, false
	}
	c.mu.Lock()
	decs, ok := c.m[text]
	c.mu.Unlock()
	if !ok {
		return nil, false
	}
	out := make([]*css.Declaration, len(decs))
	for i := range decs {
		d := decs[i]
		out[i] = &d
	}
	return out, true
}

// put keeps copies of decs (the caller may change its own).
func (c *declMemo) put(text string, decs []*css.Declaration) {
	if len(text) > memoMaxText {
		return
	}
	kept := make([]css.Declaration, len(decs))
	for i, d := range decs {
		kept[i] = *d
	}
	c.mu.Lock()
	if len(c.m) >= memoEntries {
		clear(c.m)
	}
	c.m[text] = kept
	c.mu.Unlock()
}
