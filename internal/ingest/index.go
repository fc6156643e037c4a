package ingest

import (
	"context"
	"errors"

	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/thread"
)

// threadIndex answers internal/thread's questions from the store, inside
// the ingest transaction.
type threadIndex struct{ q store.Queries }

var _ thread.Index = threadIndex{}

func (x threadIndex) ref(ctx context.Context, companyID, ticketID int64) (thread.TicketRef, error) {
	t, err := x.q.GetTicket(ctx, companyID, ticketID)
	if err != nil {
		return thread.TicketRef{}, err
	}
	parts, err := x.q.Participants(ctx, companyID, ticketID)
	if err != nil {
		return thread.TicketRef{}, err
	}
	return thread.TicketRef{ID: t.ID, Number: t.Number, ChannelID: t.ChannelID, Participants: parts}, nil
}

func (x threadIndex) TicketsByMessageIDs(ctx context.Context, companyID int64, ids []string) (map[string]thread.TicketRef, error) {
	m, err := x.q.TicketsByMessageIDs(ctx, companyID, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]thread.TicketRef, len(m))
	refs := map[int64]thread.TicketRef{}
	for mid, tid := range m {
		r, ok := refs[tid]
		if !ok {
			if r, err = x.ref(ctx, companyID, tid); err != nil {
				return nil, err
			}
			refs[tid] = r
		}
		out[mid] = r
	}
	return out, nil
}

func (x threadIndex) TicketByReplyToken(ctx context.Context, companyID int64, token string) (thread.TicketRef, bool, error) {
	t, err := x.q.GetTicketByReplyToken(ctx, companyID, token)
	if errors.Is(err, store.ErrNotFound) {
		return thread.TicketRef{}, false, nil
	}
	if err != nil {
		return thread.TicketRef{}, false, err
	}
	r, err := x.ref(ctx, companyID, t.ID)
	return r, err == nil, err
}

func (x threadIndex) TicketByNumber(ctx context.Context, companyID int64, number int64) (thread.TicketRef, bool, error) {
	t, err := x.q.GetTicketByNumber(ctx, companyID, number)
	if errors.Is(err, store.ErrNotFound) {
		return thread.TicketRef{}, false, nil
	}
	if err != nil {
		return thread.TicketRef{}, false, err
	}
	r, err := x.ref(ctx, companyID, t.ID)
	return r, err == nil, err
}
