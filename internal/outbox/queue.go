package outbox

import (
	"bytes"
	"context"
	"fmt"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/reply"
	"github.com/atende-helpdesk/atende/internal/store"
)

// QueueComposed stores a composed message on its ticket (status queued,
// raw bytes in the blob store) and its send job in one transaction, then
// wakes the workers. It is what "reply submitted" means: once it returns,
// the message will be sent even if the process restarts.
func (s *Service) QueueComposed(ctx context.Context, tk *model.Ticket, authorID int64, out *reply.Output, flags model.Flags) (*model.Message, error) {
	key, size, err := s.bl.Put(ctx, bytes.NewReader(out.Raw), 0)
	if err != nil {
		return nil, fmt.Errorf("outbox: store raw message: %w", err)
	}
	now := s.clk.Now().UTC()
	m := out.Message(tk, authorID, key, size, now)
	m.Flags = flags
	err = s.st.Tx(ctx, func(q store.Queries) error {
		if err := q.CreateMessage(ctx, m); err != nil {
			return err
		}
		if err := q.TouchTicket(ctx, tk.CompanyID, tk.ID, now); err != nil {
			return err
		}
		return Enqueue(ctx, q, m)
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: queue message: %w", err)
	}
	s.Wake()
	return m, nil
}
