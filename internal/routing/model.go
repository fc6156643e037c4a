package routing

import "github.com/atende-helpdesk/atende/internal/model"

// FromModel converts a channel's stored rule (model.ChannelRule, the JSON
// in the channel's settings) to the rule Evaluate and Validate take.
func FromModel(r model.ChannelRule) Rule {
	out := Rule{DefaultTeamID: r.DefaultTeamID, SendInitialMessage: r.SendInitialMessage, InitialMessage: r.InitialMessage}
	for _, f := range r.Filters {
		out.Filters = append(out.Filters, Filter{Kind: FilterKind(f.Kind), Value: f.Value, Action: Action{
			TeamID: f.TeamID, AssigneeID: f.AssigneeID, Priority: f.Priority, Tags: f.Tags, SendInitialMessage: f.SendInitialMessage}})
	}
	return out
}
