package imapsync

import (
	"context"
	"errors"
	"strconv"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// Ownership says which mailboxes this node may sync: those whose lease
// it holds (*cluster.Coordinator). Without one (SetOwnership not called)
// the Manager syncs every channel, as a single process always may.
type Ownership interface {
	NodeID() string
	// Token is the fencing token of the channel's lease while this node
	// holds it.
	Token(channelID int64) (int64, bool)
	// Lost reports a write refused under token (store.ErrLeaseLost).
	Lost(channelID, token int64)
}

// FencedCheckpoints writes checkpoints under a lease (store.Cluster).
type FencedCheckpoints interface {
	GetSyncCheckpoint(ctx context.Context, companyID, channelID int64, folder string) (*store.SyncCheckpoint, error)
	PutSyncCheckpointFenced(ctx context.Context, cp *store.SyncCheckpoint, nodeID string, token int64) error
}

// SetOwnership makes the Manager sync only the channels own says this
// node holds, with checkpoint writes fenced by the lease's token. Call it
// before Run; own's changes take effect at the next Reload (the
// coordinator calls it).
func (m *Manager) SetOwnership(own Ownership, cps FencedCheckpoints) {
	m.mu.Lock()
	m.own, m.fenced = own, cps
	m.mu.Unlock()
}

// owned keeps, of the channels Reload wants, those this node holds, and
// adds the lease's token to their fingerprint: a lease lost and taken
// again restarts the loop under the new token.
func (m *Manager) owned(want map[int64]model.Channel, prints map[int64]string) {
	m.mu.Lock()
	own := m.own
	m.mu.Unlock()
	if own == nil {
		return
	}
	for id := range want {
		tok, ok := own.Token(id)
		if !ok {
			delete(want, id)
			delete(prints, id)
			continue
		}
		prints[id] += "|lease:" + strconv.FormatInt(tok, 10)
	}
}

// checkpoints is where a channel's loops keep their positions: the store
// itself, or, under a lease, a writer fenced by the lease's token.
func (m *Manager) checkpoints(channelID int64) CheckpointStore {
	if m.own == nil || m.fenced == nil {
		return m.st
	}
	tok, ok := m.own.Token(channelID)
	if !ok {
		tok = -1 // lost meanwhile: every write is refused
	}
	return fencedStore{st: m.fenced, own: m.own, channelID: channelID, token: tok}
}

type fencedStore struct {
	st        FencedCheckpoints
	own       Ownership
	channelID int64
	token     int64
}

func (f fencedStore) GetSyncCheckpoint(ctx context.Context, companyID, channelID int64, folder string) (*store.SyncCheckpoint, error) {
	return f.st.GetSyncCheckpoint(ctx, companyID, channelID, folder)
}

func (f fencedStore) PutSyncCheckpoint(ctx context.Context, cp *store.SyncCheckpoint) error {
	err := f.st.PutSyncCheckpointFenced(ctx, cp, f.own.NodeID(), f.token)
	if errors.Is(err, store.ErrLeaseLost) {
		f.own.Lost(f.channelID, f.token)
	}
	return err
}
