package imapsync

// FolderStates counts the running folder loops by their last reported
// state (for metrics); "connecting" is a loop that has not reported yet.
func (m *Manager) FolderStates() map[string]int {
	m.mu.Lock()
	runs := make([]*channelRun, 0, len(m.running))
	for _, r := range m.running {
		runs = append(runs, r)
	}
	m.mu.Unlock()
	out := map[string]int{}
	for _, r := range runs {
		r.mu.Lock()
		for _, f := range r.folders {
			state := "connecting"
			if e, ok := r.folderS[f.folder]; ok {
				state = string(e.State)
			}
			out[state]++
		}
		r.mu.Unlock()
	}
	return out
}

// Connections is the number of IMAP sessions open now (a folder loop
// between login and logout).
func (m *Manager) Connections() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, r := range m.running {
		for _, f := range r.folders {
			if f.open.Load() {
				n++
			}
		}
	}
	return n
}
