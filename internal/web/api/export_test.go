package api

// RouteInfo describes one route of the table, for the external tests.
type RouteInfo struct {
	Method, Path string
	Public       bool
	AdminOnly    bool
}

// RouteTable lists every /api/v1 route.
func RouteTable() []RouteInfo {
	var out []RouteInfo
	for _, r := range (Deps{}).routes() {
		out = append(out, RouteInfo{r.method, r.path, r.access == public, r.access == adminOnly})
	}
	return out
}

// Subscribers counts live event subscribers of a company.
func (h *Hub) Subscribers(companyID int64) int { return h.subscribers(companyID) }
